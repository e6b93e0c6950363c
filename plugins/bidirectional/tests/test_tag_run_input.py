"""`zoo run` on a tagger: --tokenized input (a one-word line is one token, no empty tokens), empty lines."""
import json

import pytest
from click.testing import CliRunner

from zoo_core import create_model
from zoo_core.cli import main
from zoo_core.plugin import Vocab


@pytest.fixture
def tagger(zoo_home):
    vocabs = {"tokens": Vocab(["<pad>", "<unk>", "the", "cat"]), "labels": Vocab(["B-NP", "I-NP", "O"]),
              "chars": Vocab(["<pad>", "<unk>", *"thca"])}
    create_model("bilstm-tagger", vocabs=vocabs, embedding__dim=4, encoder__hidden_size=4).save("tagger")


def run(*args, stdin=None):
    result = CliRunner().invoke(main, ["run", "tagger", *args, "--json"], input=stdin)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_tokenized_lines_keep_their_tokens(tagger):
    records = run("-", "--tokenized", stdin="1996-12-06\nthe\tcat\t\n\nNew York\tis\n")
    assert [r["tokens"] if r["prediction"] is not None else None for r in records] == [
        ["1996-12-06"], ["the", "cat"], None, ["New York", "is"]]
    assert all(len(r["prediction"]) == len(r["tokens"]) for r in records if r["prediction"] is not None)


def test_untokenized_text_is_split_into_words(tagger):
    [record] = run("the cat, 1996-12-06")
    assert record["tokens"] == ["the", "cat", ",", "1996", "-", "12", "-", "06"]
