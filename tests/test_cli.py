"""The `zoo` command as a user at a terminal meets it, bad input included: one line on stderr,
a non-zero exit, no traceback, nothing overwritten."""
import json

import pytest

from conftest import TINY, run_zoo


def assert_one_line_error(result, *fragments):
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("zoo: error: ")
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.fixture
def trained_model(sentiment_dir, zoo_home):
    result = run_zoo("train", "lstm-classifier", "--data", str(sentiment_dir), "--out", "m", *TINY)
    assert result.returncode == 0, result.stderr
    return zoo_home / "models" / "m.safetensors"


def test_train_run_eval_and_models(trained_model, sentiment_dir):
    assert trained_model.exists()
    run = run_zoo("run", "m", "not good at all", "a superb film", "--json")
    records = [json.loads(line) for line in run.stdout.splitlines()]
    assert [r["input"] for r in records] == ["not good at all", "a superb film"]
    assert all(set(r["probabilities"]) == {"neg", "pos"} for r in records)
    assert all(abs(sum(r["probabilities"].values()) - 1) < 1e-4 for r in records)
    stdin = run_zoo("run", "m", "-", input="one line\nanother line\n")
    assert len(stdin.stdout.strip().splitlines()) == 2
    evaluation = run_zoo("eval", "m", "--data", str(sentiment_dir), "--json")
    assert 0.0 <= json.loads(evaluation.stdout)["accuracy"] <= 1.0
    listing = run_zoo("models", "--json")
    assert [row["name"] for row in json.loads(listing.stdout)] == ["m"]
    assert json.loads(listing.stdout)[0]["architecture"] == "lstm-classifier"
    assert run_zoo("models", "rm", "m").returncode == 0
    assert not trained_model.exists()


def test_out_is_not_overwritten_without_force(trained_model, sentiment_dir):
    before = trained_model.read_bytes()
    result = run_zoo("train", "gru-classifier", "--data", str(sentiment_dir), "--out", "m", *TINY)
    assert_one_line_error(result, "already exists", "--force")
    assert trained_model.read_bytes() == before


def test_unknown_architecture_suggests():
    assert_one_line_error(run_zoo("train", "lstm-clasifier", "--out", "x"), "unknown architecture", "lstm-classifier")


def test_bad_set_value_names_field_and_bound(sentiment_dir):
    result = run_zoo("train", "lstm-classifier", "--data", str(sentiment_dir), "--set", "training.lr=-1")
    assert_one_line_error(result, "training.lr", "greater than 0")


def test_missing_data_file(tmp_path):
    assert_one_line_error(run_zoo("train", "lstm-classifier", "--data", str(tmp_path / "nope.csv")), "nope.csv")


def test_malformed_row_names_file_and_line(tmp_path):
    path = tmp_path / "reviews.jsonl"
    path.write_text('{"text": "good", "label": "pos"}\n{"text": "bad" "label": "neg"}\n')
    assert_one_line_error(run_zoo("train", "lstm-classifier", "--data", str(path)), "reviews.jsonl:2")


def test_empty_data_set(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("text,label\n")
    assert_one_line_error(run_zoo("train", "lstm-classifier", "--data", str(path)), "empty.csv")


def test_label_seen_only_at_evaluation(trained_model, tmp_path):
    path = tmp_path / "eval.csv"
    path.write_text("text,label\ngreat,pos\nmeh,neutral\n")
    assert_one_line_error(run_zoo("eval", "m", "--data", str(path)), "eval.csv:3", "neutral", "not in the training data")


def test_non_safetensors_and_truncated_files(tmp_path, trained_model):
    bogus = tmp_path / "bogus.safetensors"
    bogus.write_text("hello, I am text")
    assert_one_line_error(run_zoo("run", str(bogus), "hi"), "not a safetensors file")
    truncated = tmp_path / "cut.safetensors"
    truncated.write_bytes(trained_model.read_bytes()[:5000])
    assert_one_line_error(run_zoo("run", str(truncated), "hi"), "truncated")


def test_model_name_that_escapes_the_store():
    assert_one_line_error(run_zoo("run", "..", "hi"), "not a valid model name")
    assert_one_line_error(run_zoo("models", "rm", ".secret"), "not a valid model name")


def test_unavailable_device_is_one_line(sentiment_dir):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    result = run_zoo("train", "lstm-classifier", "--data", str(sentiment_dir), "--device", "cuda", "--quiet")
    assert_one_line_error(result, "CUDA is not available")


def test_info_shows_config_schema_and_parameters():
    result = run_zoo("info", "gru-classifier", "--json", "--vocab-size", "100")
    info = json.loads(result.stdout)
    assert info["config"]["encoder"]["type"] == "gru"
    assert "hidden_size" in info["schema"]["properties"]["encoder"]["properties"]
    # embedding 100x128 + GRU(128->256) + linear(256->2)
    expected = 100 * 128 + 3 * (128 * 256 + 256 * 256 + 2 * 256) + 256 * 2 + 2
    assert info["parameters"] == expected


def test_version():
    from zoo_core._version import __version__

    assert run_zoo("--version").stdout.strip().endswith(__version__)
