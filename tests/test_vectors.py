"""Pretrained word vectors (embedding.pretrained): the formats, the case rule, errors with file and line, and
vectors that end up in the model file (zoo_core/data/vectors.py, training/transfer.py)."""
import gzip
import struct

import numpy as np
import pytest
import torch

import zoo_core as zoo
from conftest import TINY, run_zoo
from zoo_core.data.vectors import find_vectors
from zoo_core.errors import DataError

TOKENS = ["<pad>", "<unk>", "film", "good", "paris", "dull"]
VECTORS = {"film": [1.0, 2.0, 3.0], "good": [0.5, -0.5, 0.25], "Paris": [9.0, 8.0, 7.0], "zebra": [0.0, 0.0, 1.0]}


def write_text(path, header=False, gz=False):
    lines = ([f"{len(VECTORS)} 3"] if header else []) + [f"{w} " + " ".join(map(str, v)) for w, v in VECTORS.items()]
    data = ("\n".join(lines) + "\n").encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def write_binary(path):
    body = b"".join(w.encode() + b" " + struct.pack("<3f", *v) + b"\n" for w, v in VECTORS.items())
    path.write_bytes(f"{len(VECTORS)} 3\n".encode() + body)
    return path


@pytest.mark.parametrize("make", [
    lambda d: write_text(d / "glove.txt"), lambda d: write_text(d / "wiki.vec", header=True),
    lambda d: write_text(d / "vectors.txt.gz", gz=True), lambda d: write_binary(d / "w2v.bin")])
def test_every_format_gives_the_same_rows(tmp_path, make):
    found = find_vectors(make(tmp_path), TOKENS)
    assert found.dim == 3 and found.file_words == 4
    assert sorted(found.rows) == [2, 3, 4]  # film, good, paris (by its other case); dull is missing
    np.testing.assert_array_equal(found.rows[2], [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(found.rows[4], [9.0, 8.0, 7.0])
    assert found.lowercase_matches == 1


@pytest.mark.parametrize("content, message", [
    ("film 1 2 3\ngood 1 2\n", r"vectors\.txt:2: 2 values where the file's vectors have 3"),
    ("film 1 2 3\ngood 1 x 3\n", r"vectors\.txt:2: a value of 'good' is not a number"),
    ("", r"vectors\.txt: no vectors in the file"),
])
def test_a_bad_file_is_one_line_naming_file_and_line(tmp_path, content, message):
    path = tmp_path / "vectors.txt"
    path.write_text(content)
    with pytest.raises(DataError, match=message):
        find_vectors(path, TOKENS)


def test_vectors_start_the_embedding_travel_in_the_model_file_and_freeze(tmp_path, sentiment_dir, zoo_home):
    vectors = tmp_path / "vectors.txt"
    rng = np.random.default_rng(0)
    words = ["the", "film", "plot", "acting", "was", "not", "dull"]
    vectors.write_text("".join(f"{w} " + " ".join(f"{x:.6f}" for x in rng.normal(size=16)) + "\n" for w in words))
    model = zoo.train("lstm-classifier", str(sentiment_dir), out="vec", progress=False, embedding__dim=16,
                      encoder__hidden_size=16, training__epochs=1, embedding__pretrained=str(vectors),
                      embedding__freeze=True)
    found = find_vectors(vectors, model.vocabs["tokens"].tokens)
    assert found.rows  # the generated reviews use these words
    for index, row in found.rows.items():  # frozen: still exactly the file's vectors after training
        assert torch.equal(model.embedding.weight[index], torch.from_numpy(row))
    vectors.unlink()  # the model needs no vector file to load
    loaded = zoo.load("vec")
    assert torch.equal(loaded.embedding.weight, model.embedding.weight)


def test_a_dimension_that_does_not_fit_is_one_line(tmp_path, sentiment_dir):
    vectors = write_text(tmp_path / "glove.txt")
    result = run_zoo("train", "lstm-classifier", "--data", str(sentiment_dir), "--set",
                     f"embedding.pretrained={vectors}", *TINY)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        f"zoo: error: embedding.pretrained: {vectors} has 3-dimensional vectors and embedding.dim is 16; "
        "add --set embedding.dim=3")
