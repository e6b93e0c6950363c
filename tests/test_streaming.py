"""Training data read as a stream (training.stream): the same examples as loading, bounded memory."""
from __future__ import annotations

import json
import random
from collections import Counter

import pytest

from zoo_core.data.readers import read_classification, split_examples
from zoo_core.data.streaming import EncodedStream, StreamedExamples, bounded_counts, shuffle_buffer, windows
from zoo_core.errors import DataError


@pytest.fixture
def labelled_jsonl(tmp_path):
    rng = random.Random(5)
    words = {"pos": ["great", "fine", "superb", "lovely"], "neg": ["dull", "bad", "awful", "boring"]}
    path = tmp_path / "reviews.jsonl"
    with path.open("w") as handle:
        for i in range(300):
            label = rng.choice(["pos", "neg"])
            text = " ".join(rng.choice(words[label]) for _ in range(rng.randint(2, 9))) + f" film{i % 7}"
            handle.write(json.dumps({"text": text, "label": label}) + "\n")
    return path


def test_streamed_splits_are_the_loaded_splits(labelled_jsonl):
    loaded = split_examples(read_classification(labelled_jsonl))
    for split, expected in (("train", loaded.train), ("valid", loaded.valid), ("test", loaded.test)):
        streamed = list(StreamedExamples(str(labelled_jsonl), None, "text", "label", split))
        assert [(e.text, e.label) for e in streamed] == [(e.text, e.label) for e in expected]


@pytest.mark.parametrize("suffix", [".tsv", ".csv"])
def test_streamed_tsv_and_csv_match_loading(tmp_path, suffix):
    separator = "\t" if suffix == ".tsv" else ","
    path = tmp_path / f"data{suffix}"
    rows = [f"text{separator}label"] + [f"words number {i}{separator}{'ab'[i % 2]}" for i in range(25)]
    path.write_text("\n".join(rows) + "\n")
    streamed = [(e.text, e.label, e.index) for e in StreamedExamples(str(path), None, "text", "label")]
    assert streamed == [(e.text, e.label, e.index) for e in read_classification(path)]


def test_process_shards_are_disjoint_and_cover_the_split(labelled_jsonl):
    whole = StreamedExamples(str(labelled_jsonl), None, "text", "label", "train")
    shards = [list(whole.shard(rank, 3)) for rank in range(3)]
    sources = [e.source for shard in shards for e in shard]
    assert len(sources) == len(set(sources)) == len(list(whole))
    assert max(map(len, shards)) - min(map(len, shards)) <= 1


def test_a_bad_line_in_a_stream_names_file_and_line(tmp_path):
    path = tmp_path / "broken.jsonl"
    path.write_text('{"text": "fine", "label": "a"}\n{"text": "oops"\n')
    with pytest.raises(DataError, match=r"broken.jsonl:2: invalid JSON"):
        list(StreamedExamples(str(path), None, "text", "label"))


def test_streaming_a_folder_format_is_refused(sentiment_dir):
    with pytest.raises(DataError, match="streaming reads csv, tsv or jsonl"):
        list(StreamedExamples(str(sentiment_dir), None, "text", "label"))


def test_bounded_counts_hold_the_cap_and_keep_frequent_tokens_exact(monkeypatch):
    from zoo_core.data import streaming

    monkeypatch.setattr(streaming, "COUNTER_FLOOR", 100)
    rng = random.Random(0)
    sequences = [["the", "a"] * 3 + [f"rare{rng.randrange(10**6)}" for _ in range(5)] for _ in range(400)]
    counts = bounded_counts(sequences, max_size=10)
    assert len(counts) <= 100  # 2,000 distinct tokens went in
    assert counts["the"] == counts["a"] == 1200  # exact for tokens that never fell below the cut


def test_bounded_counts_are_exact_under_the_cap():
    sequences = [["x", "y", "x"], ["z", "x"]]
    assert bounded_counts(sequences, max_size=None) == Counter({"x": 3, "y": 1, "z": 1})


def test_shuffle_buffer_is_a_permutation_that_moves_items():
    items = list(range(1000))
    shuffled = list(shuffle_buffer(items, 100, random.Random(1)))
    assert sorted(shuffled) == items and shuffled != items
    assert list(shuffle_buffer(items, 1, random.Random(1))) == items  # a buffer of one keeps the order


def test_windows_cover_everything_in_order():
    assert list(windows(range(7), 3)) == [[0, 1, 2], [3, 4, 5], [6]]


def test_streamed_training_matches_loaded_vocabulary_and_learns(labelled_jsonl):
    from zoo_core.workflows import train

    settings = dict(progress=False, embedding__dim=16, encoder__hidden_size=16, training__epochs=4,
                    training__lr=0.01, training__shuffle_buffer=64)
    streamed = train("lstm-classifier", str(labelled_jsonl), training__stream=True, **settings)
    loaded = train("lstm-classifier", str(labelled_jsonl), **settings)
    assert streamed.vocabs["tokens"].tokens == loaded.vocabs["tokens"].tokens
    assert streamed.vocabs["labels"].tokens == loaded.vocabs["labels"].tokens
    assert streamed.training_summary["test"]["accuracy"] > 0.8  # separable words: it learned from the stream


def test_stream_evaluation_equals_list_evaluation(labelled_jsonl, monkeypatch):
    from zoo_core.tasks import classify
    from zoo_core.workflows import create_model

    model = create_model("lstm-classifier", vocab=["<pad>", "<unk>", "great", "dull"], num_classes=2,
                         embedding__dim=8, encoder__hidden_size=8)
    task = model.task
    stream = StreamedExamples(str(labelled_jsonl), None, "text", "label")
    model.vocabs["labels"] = task.build_vocabs(read_classification(labelled_jsonl))["labels"]
    as_list = task.encode(list(stream), model.vocabs)
    as_stream = task.encode(stream, model.vocabs)
    assert isinstance(as_stream, EncodedStream)
    monkeypatch.setattr(classify, "EVAL_WINDOW", 7)  # many windows
    expected, streamed = task.evaluate(model, as_list), task.evaluate(model, as_stream)
    assert streamed["accuracy"] == expected["accuracy"]
    assert streamed["loss"] == pytest.approx(expected["loss"], rel=1e-5)
