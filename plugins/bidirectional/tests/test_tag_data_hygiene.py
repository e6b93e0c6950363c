"""CoNLL files as written: a BOM is dropped, .gz is read, bytes that are not UTF-8 are one line naming the line."""
import gzip

import pytest

from zoo_bidirectional.readers import detect_format, read_tagged
from zoo_core.plugin import DataError

CONLL = "The DT B-NP\ncat NN I-NP\n\nsat VBD B-VP\n"


def test_bom_is_not_glued_to_the_first_word(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + CONLL.encode())
    assert read_tagged(path)[0].tokens == ("The", "cat")


def test_gz_files_are_read(tmp_path):
    path = tmp_path / "train.conll.gz"
    path.write_bytes(gzip.compress(CONLL.encode()))
    assert [s.tags for s in read_tagged(path)] == [("B-NP", "I-NP"), ("B-VP",)]
    assert detect_format(tmp_path / "ud.conllu.gz") == "conllu"


def test_non_utf8_bytes_are_an_error_naming_the_line(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes(CONLL.encode() + b"\ncaf\xe9 NN B-NP\n")
    with pytest.raises(DataError, match=r"latin1.txt:6: not valid UTF-8"):
        read_tagged(path)
