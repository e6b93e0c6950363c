"""Data read as the user meant it, or one line saying why not: one-class sets, BOM, CRLF, gz, bad bytes."""
import gzip

import pytest

import zoo_core as zoo
from zoo_core.data.readers import read_classification
from zoo_core.errors import DataError


def test_a_classification_set_with_one_class_is_an_error(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text("text,label\n" + "".join(f"review {i},pos\n" for i in range(30)))
    with pytest.raises(DataError, match=r"every training example has the label 'pos'; a classifier needs at least two"):
        zoo.train("lstm-classifier", str(path), progress=False, overrides={"training": {"epochs": 1}})


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz"])
def test_bom_crlf_and_gz_are_read_as_plain_text(tmp_path, suffix):
    data = "\ufefftext,label\r\ngood film,pos\r\nbad film,neg\r\n".encode()
    path = tmp_path / f"reviews{suffix}"
    path.write_bytes(gzip.compress(data) if suffix.endswith(".gz") else data)
    examples = read_classification(path)
    assert [(e.text, e.label) for e in examples] == [("good film", "pos"), ("bad film", "neg")]


def test_bytes_that_are_not_utf8_name_the_file_and_line(tmp_path):
    path = tmp_path / "reviews.tsv"
    path.write_bytes(b"text\tlabel\ngood\tpos\ncaf\xe9\tneg\n")
    with pytest.raises(DataError, match=r"reviews.tsv:3: not valid UTF-8"):
        read_classification(path)
