"""`zoo run --explain` / `--explain-png`: weights per token, shaded or as numbers, and a PNG."""
import json

import pytest
from click.testing import CliRunner

import zoo_core as zoo
from zoo_core.cli import main

TINY = {"embedding": {"dim": 8}, "encoder": {"hidden_size": 8}, "training": {"epochs": 1, "batch_size": 32}}


@pytest.fixture(scope="module")
def saved_models(tmp_path_factory):
    """An attention model and a max-pooling model in one store, trained for one tiny epoch."""
    import os

    from zoo_core.testing import write_sentiment_files

    home = tmp_path_factory.mktemp("zoo-home")
    old = os.environ.get("ZOO_HOME")
    os.environ["ZOO_HOME"] = str(home)
    data = str(write_sentiment_files(home / "data", n=120, seed=3))
    zoo.train("bilstm-attn-classifier", data, out="attn", progress=False, head={"pooling": {"type": "attention", "heads": 2}}, **TINY)
    zoo.train("bilstm-max-classifier", data, out="maxed", progress=False, **TINY)
    yield home
    os.environ.pop("ZOO_HOME") if old is None else os.environ.__setitem__("ZOO_HOME", old)


@pytest.fixture
def zoo_home(saved_models, monkeypatch):
    monkeypatch.setenv("ZOO_HOME", str(saved_models))
    return saved_models


def invoke(*args):
    return CliRunner().invoke(main, list(args))


def test_explain_json_gives_a_weight_per_token(zoo_home):
    result = invoke("run", "attn", "A superb film", "not good , the plot is dull", "--explain", "--json")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["tokens"] for r in records] == [["a", "superb", "film"], ["not", "good", ",", "the", "plot", "is", "dull"]]
    for record in records:
        assert len(record["weights"]) == len(record["tokens"])
        assert sum(record["weights"]) == pytest.approx(1, abs=1e-4)
        assert record["prediction"] in record["probabilities"]


def test_explain_weights_do_not_depend_on_the_batch(zoo_home):
    alone = json.loads(invoke("run", "attn", "a superb film", "--explain", "--json").stdout)
    batched = invoke("run", "attn", "a superb film", "a much longer text about a film that is not good",
                     "--explain", "--json").stdout.splitlines()
    assert json.loads(batched[0])["weights"] == pytest.approx(alone["weights"], abs=1e-5)


def test_explain_text_shows_each_token_with_its_weight(zoo_home):
    result = invoke("run", "attn", "a superb film", "--explain")
    label, probability, tokens = result.stdout.strip().split("\t")
    record = json.loads(invoke("run", "attn", "a superb film", "--explain", "--json").stdout)
    assert label == record["prediction"]
    assert tokens == " ".join(f"{t}[{w:.3f}]" for t, w in zip(record["tokens"], record["weights"]))


def test_explain_png_writes_a_picture(zoo_home, tmp_path):
    pytest.importorskip("matplotlib")
    target = tmp_path / "weights.png"
    result = invoke("run", "attn", "a superb film", "not good", "--explain-png", str(target))
    assert result.exit_code == 0, result.output
    assert len(result.stdout.strip().splitlines()) == 2  # the usual predictions still print
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_explain_png_into_missing_folder_is_one_line(zoo_home, tmp_path):
    result = invoke("run", "attn", "a film", "--explain-png", str(tmp_path / "nope" / "w.png"))
    assert result.exit_code == 1
    assert result.stderr.strip().count("\n") == 0 and "does not exist" in result.stderr


def test_explain_without_attention_pooling_is_one_line(zoo_home):
    result = invoke("run", "maxed", "a superb film", "--explain")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "zoo: error: --explain needs attention pooling; this bilstm-max-classifier model pools with 'max' "
        "(train one with attention, e.g. bilstm-attn-classifier or --set head.pooling=attention)"
    ]
