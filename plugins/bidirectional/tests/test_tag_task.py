"""The tag task end to end: train on CoNLL files, `zoo run`, `zoo eval`, and bad input."""
import json
import random

import pytest
from click.testing import CliRunner

from zoo_core import train
from zoo_core.cli import main
from zoo_core.plugin import DataError

NOUNS = ["cat", "dog", "mat", "bird", "house", "tree", "car", "book"]
ADJECTIVES = ["big", "red", "old", "small"]
VERBS = ["sees", "likes", "finds"]
TINY = {"encoder": {"hidden_size": 16}, "embedding": {"dim": 16, "dropout": 0.0}, "tokenizer": {"min_freq": 1},
        "data": {"chars": {"dim": 8, "filters": 8}, "word_dropout": 0.0},
        "training": {"batch_size": 16, "epochs": 10, "lr": 0.01, "patience": 10}}


def noun_phrase(rng):
    words = [(rng.choice(["the", "a"]), "DT")]
    if rng.random() < 0.5:
        words.append((rng.choice(ADJECTIVES), "JJ"))
    words.append((rng.choice(NOUNS), "NN"))
    return [(w, pos, ("B-NP" if i == 0 else "I-NP")) for i, (w, pos) in enumerate(words)]


def sentence(rng):
    verb = rng.choice(VERBS)
    return [*noun_phrase(rng), (verb, "VBZ", "B-VP"), *noun_phrase(rng), (".", ".", "O")]


def write_conll(path, sentences):
    path.write_text("-DOCSTART- -X- -X- O\n\n" + "".join(
        "".join(f"{w} {p} {c}\n" for w, p, c in s) + "\n" for s in sentences))
    return path


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    rng = random.Random(0)
    folder = tmp_path_factory.mktemp("conll")
    return (write_conll(folder / "train.txt", [sentence(rng) for _ in range(160)]),
            write_conll(folder / "test.txt", [sentence(rng) for _ in range(40)]),
            write_conll(folder / "valid.txt", [sentence(rng) for _ in range(40)]))


@pytest.fixture(scope="module")
def models(data, tmp_path_factory):
    """A CRF chunker and a softmax POS tagger, saved in a store shared by this module's tests."""
    home = tmp_path_factory.mktemp("home")
    patch = pytest.MonkeyPatch()
    patch.setenv("ZOO_HOME", str(home))
    train_file, test_file, valid_file = data
    # The CRF preset learns IOBES (data.train_scheme auto), constrained to valid transitions: it scores 1.0 on the
    # rule's 16 held-out sentences after one epoch, so a larger validation file picks the weights.
    chunker = train("bilstm-crf-tagger", str(train_file), valid=str(valid_file), test=str(test_file), out="chunker",
                    overrides=TINY, progress=False)
    tagger = train("bigru-tagger", str(train_file), test=str(test_file), label_field="1", out="pos", overrides=TINY,
                   progress=False)
    yield chunker, tagger
    patch.undo()


@pytest.fixture
def zoo_home(models, monkeypatch, tmp_path):  # overrides conftest's: these tests share the trained models
    return None


def zoo(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input)


def test_trained_taggers_learn_chunks_and_pos(models):
    chunker, tagger = models
    assert chunker.training_summary["test"]["f1"] > 0.95
    assert tagger.training_summary["test"]["accuracy"] > 0.95
    assert "f1" not in tagger.training_summary["test"]  # POS tags are not spans
    assert chunker.task.primary_metric == "f1" and tagger.task.primary_metric == "accuracy"


def test_run_prints_aligned_token_tag_columns(models):
    result = zoo("run", "pos", "The big cat sees a dog.")
    assert result.exit_code == 0, result.output
    lines = result.output.rstrip("\n").splitlines()
    assert [line.split() for line in lines] == [["The", "DT"], ["big", "JJ"], ["cat", "NN"], ["sees", "VBZ"],
                                                ["a", "DT"], ["dog", "NN"], [".", "."]]
    assert len({line.rindex(" ") for line in lines}) == 1  # the tags start in one column


def test_run_json_from_stdin_with_spans(models):
    result = zoo("run", "chunker", "-", "--json", input="the cat sees a dog .\na red book likes the tree .\n")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.output.splitlines()]
    assert len(records) == 2
    assert records[0]["tokens"] == ["the", "cat", "sees", "a", "dog", "."]
    assert records[0]["prediction"] == ["B-NP", "I-NP", "B-VP", "B-NP", "I-NP", "O"]
    assert records[0]["spans"][0] == {"type": "NP", "start": 0, "end": 2, "text": "the cat"}
    assert [s["type"] for s in records[1]["spans"]] == ["NP", "VP", "NP"]


def test_eval_prints_span_f1_per_type(models, data):
    result = zoo("eval", "chunker", "--data", str(data[1]))
    assert result.exit_code == 0, result.output
    lines = dict(line.split("\t", 1) for line in result.output.splitlines())
    assert float(lines["f1"]) > 0.95
    assert lines["per_type.NP"].startswith("precision=") and "support=80" in lines["per_type.NP"]
    assert "per_type.VP" in lines


def test_eval_remembers_the_tag_column_the_model_was_trained_on(models, data):
    result = zoo("eval", "pos", "--data", str(data[1]), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["accuracy"] > 0.95


def test_eval_reports_tags_the_model_never_saw_and_counts_them_wrong(models, data, tmp_path):
    text = data[1].read_text().replace("sees VBZ B-VP", "sees VBZ B-XP", 1)
    (tmp_path / "odd.txt").write_text(text)
    result = zoo("eval", "chunker", "--data", str(tmp_path / "odd.txt"), "--json")
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert metrics["unknown_tags"] == 1 and metrics["unknown_tag_names"] == {"B-XP": 1}
    assert metrics["accuracy"] < 1.0
    assert "tags the model never saw in training: B-XP (1)" in result.stderr


def test_empty_line_is_an_empty_result_and_an_empty_sentence_an_error(models):
    result = zoo("run", "pos", "-", input="the cat sees a dog .\n   \nthe dog\n")
    assert result.exit_code == 0, result.output
    assert "\n\n\n" in result.output  # each sentence ends with a blank line; the empty one adds one more
    with pytest.raises(DataError, match="input 1 is an empty sentence"):
        models[1].predict(["   "])


def test_wrong_columns_in_training_data_name_file_and_line(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("the DT B-NP\ncat NN\n")
    result = zoo("train", "bilstm-tagger", "--data", str(bad))
    assert result.exit_code == 1
    assert f"zoo: error: {bad}:2: 2 columns where line 1 has 3" in result.output


def test_char_features_tag_words_never_seen_in_training(tmp_path, monkeypatch):
    """Context cannot tell NN from JJ here (both follow 'the'); only the spelling can."""
    monkeypatch.setenv("ZOO_HOME", str(tmp_path))
    rng = random.Random(1)

    def words(suffix, n):
        return ["".join(rng.choice("bcdfglmnprst") + rng.choice("aeiou") for _ in range(2)) + suffix
                for _ in range(n)]

    train_words = [(w, "NN") for w in words("tion", 30)] + [(w, "JJ") for w in words("ous", 30)]
    seen = {w for w, _ in train_words}
    test_words = [(w, t) for w, t in [(w, "NN") for w in words("tion", 20)] + [(w, "JJ") for w in words("ous", 20)]
                  if w not in seen]
    rows = lambda pairs: [[("the", "DT", "O"), (w, t, "O"), (".", ".", "O")] for w, t in pairs]  # noqa: E731
    train_file = write_conll(tmp_path / "train.txt", rows(train_words) * 3)
    test_file = write_conll(tmp_path / "test.txt", rows(test_words))
    scores = {}
    for chars in (8, 0):
        overrides = {**TINY, "data": {"chars": {"dim": chars, "filters": 16}, "word_dropout": 0.3},
                     "training": {**TINY["training"], "epochs": 15, "patience": 15}}
        model = train("bilstm-tagger", str(train_file), test=str(test_file), label_field="1", overrides=overrides,
                      progress=False)
        scores[chars] = model.training_summary["test"]["accuracy"]
    # 3 tokens a sentence, "the" and "." easy: guessing one tag for every unseen word scores 5/6.
    assert scores[8] > 0.95, scores
    assert scores[0] < 0.9, scores
