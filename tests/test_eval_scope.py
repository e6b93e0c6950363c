"""`zoo eval` scores every example of --data unless --split asks for the split rule's share, and says what it
scored (data, split, examples); per-class scores; --device, --batch-size; options a task does not take."""
import json

import pytest
from click.testing import CliRunner

import zoo_core as zoo
from zoo_core.cli import main
from zoo_core.data.readers import read_classification, rule_split

TINY = {"embedding": {"dim": 8}, "encoder": {"hidden_size": 8}, "training": {"epochs": 1}}


@pytest.fixture
def model(sentiment_dir):
    return zoo.train("lstm-classifier", str(sentiment_dir), out="m", overrides=TINY, progress=False)


def zoo_cli(*args):
    result = CliRunner().invoke(main, list(args))
    return result


def test_eval_scores_every_example_of_the_file(model, tmp_path):
    path = tmp_path / "reviews.csv"
    rows = [("a superb film", "pos"), ("dull and lifeless", "neg")] * 23 + [("fine", "pos")]  # 47 rows
    path.write_text("text,label\n" + "".join(f"{t},{label}\n" for t, label in rows))
    result = zoo_cli("eval", "m", "--data", str(path), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["examples"] == 47 and report["split"] == "all" and report["data"] == str(path)
    assert sum(scores["support"] for scores in report["per_class"].values()) == 47
    text = zoo_cli("eval", "m", "--data", str(path)).output.splitlines()
    assert text[:3] == [f"data\t{path}", "split\tall", "examples\t47"]


def test_split_applies_the_rule_only_when_asked(model, sentiment_dir):
    expected = {split: sum(rule_split(e.index) == split for e in read_classification(sentiment_dir))
                for split in ("train", "valid", "test")}
    assert expected["test"] < expected["train"]
    for split, count in expected.items():
        report = json.loads(zoo_cli("eval", "m", "--data", str(sentiment_dir), "--split", split, "--json").output)
        assert (report["split"], report["examples"]) == (split, count)


def test_per_class_scores_match_a_hand_count(model, sentiment_dir):
    examples = read_classification(sentiment_dir)
    predicted = model.predict([e.text for e in examples])
    report = json.loads(zoo_cli("eval", "m", "--data", str(sentiment_dir), "--json").output)
    for label, scores in report["per_class"].items():
        tp = sum(p == label and e.label == label for p, e in zip(predicted, examples))
        assert scores["support"] == sum(e.label == label for e in examples)
        assert scores["precision"] == pytest.approx(tp / max(predicted.count(label), 1))
        assert scores["recall"] == pytest.approx(tp / scores["support"])
    assert report["accuracy"] == pytest.approx(sum(p == e.label for p, e in zip(predicted, examples)) / len(examples))


def test_batch_size_and_device_do_not_change_the_scores(model, sentiment_dir):
    base = json.loads(zoo_cli("eval", "m", "--data", str(sentiment_dir), "--json").output)
    small = json.loads(zoo_cli("eval", "m", "--data", str(sentiment_dir), "--json", "--batch-size", "3",
                               "--device", "auto").output)
    assert small["accuracy"] == base["accuracy"] and small["per_class"] == base["per_class"]
    assert small["loss"] == pytest.approx(base["loss"], abs=1e-6)


@pytest.mark.parametrize("args, fragment", [
    (["--beam", "3"], "--beam does not apply"),
    (["--device", "cuda:7"], "device=cuda:7"),
    (["--batch-size", "0"], "--batch-size 0"),
])
def test_options_that_cannot_apply_are_one_line(model, sentiment_dir, args, fragment):
    result = zoo_cli("eval", "m", "--data", str(sentiment_dir), *args)
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and result.output.startswith("zoo: error: ") and fragment in result.output
