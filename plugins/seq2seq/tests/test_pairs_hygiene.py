"""Sentence pairs: BOM dropped, \\r\\n, .gz, and bytes that are not UTF-8 one line naming the line."""
import gzip

import pytest

from zoo_core.plugin import DataError
from zoo_seq2seq.data import read_pairs


def test_bom_crlf_and_gz(tmp_path):
    path = tmp_path / "pairs.tsv.gz"
    path.write_bytes(gzip.compress("\ufeffGo.\tVa !\r\nHi.\tSalut !\r\n".encode()))
    assert [(p.source, p.target) for p in read_pairs(str(path))] == [("Go.", "Va !"), ("Hi.", "Salut !")]


def test_non_utf8_names_the_line(tmp_path):
    path = tmp_path / "pairs.tsv"
    path.write_bytes(b"Go.\tVa !\nCoffee.\tCaf\xe9.\n")
    with pytest.raises(DataError, match=r"pairs.tsv:2: not valid UTF-8"):
        read_pairs(str(path))
