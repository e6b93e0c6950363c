"""Tag schemes: IOB1 data is learnt in IOBES by a CRF tagger and given back, predicted and scored, in IOB1."""
import json
import random

import pytest
from click.testing import CliRunner

from zoo_bidirectional.spans import convert_tags, detect_scheme, span_scores, spans
from zoo_core import load, train
from zoo_core.cli import main

PEOPLE = [["John", "Smith"], ["Mary"], ["Ann", "Lee"], ["Bob"]]
PLACES = [["Paris"], ["New", "York"], ["Rome"]]


def iob1_sentence(rng):
    """Words and IOB1 tags; two people side by side make the second start with B-PER."""
    words, tags = [], []
    first, second = rng.choice(PEOPLE), rng.choice(PEOPLE)
    words += first + second
    tags += ["I-PER"] * len(first) + ["B-PER"] + ["I-PER"] * (len(second) - 1)
    words += ["met", "in"]
    tags += ["O", "O"]
    place = rng.choice(PLACES)
    words += place + ["."]
    tags += ["I-LOC"] * len(place) + ["O"]
    return words, tags


@pytest.fixture(scope="module")
def iob1_file(tmp_path_factory):
    rng = random.Random(1)
    path = tmp_path_factory.mktemp("iob1") / "ner.txt"
    path.write_text("".join("".join(f"{w} {t}\n" for w, t in zip(*iob1_sentence(rng))) + "\n" for _ in range(80)))
    return path


def test_detect_and_convert_round_trip():
    words, tags = iob1_sentence(random.Random(0))
    assert detect_scheme([tags]) == "iob1"
    assert detect_scheme([["B-NP", "I-NP", "O"]]) == "bio" and detect_scheme([["S-X", "O"]]) == "iobes"
    assert detect_scheme([["NN", "VB"]]) is None
    iobes = convert_tags(tags, "iob1", "iobes")
    assert any(t.startswith(("S-", "E-")) for t in iobes)
    assert convert_tags(iobes, "iobes", "iob1") == tags
    assert convert_tags(convert_tags(tags, "iob1", "bio"), "bio", "iob1") == tags
    assert spans(iobes) == spans(tags)


def iobes_to_iob1_by_hand(tags):
    """conlleval's reading of (possibly invalid) IOBES tags, written as IOB1, independent of spans.py."""
    out, previous_type, previous_prefix = [], None, "O"
    for tag in tags:
        if tag == "O":
            out.append("O")
            previous_type, previous_prefix = None, "O"
            continue
        prefix, kind = tag.split("-", 1)
        starts = prefix in ("B", "S") or previous_prefix in ("O", "E", "S") or previous_type != kind
        out.append(f"B-{kind}" if starts and previous_type == kind and previous_prefix != "O" else f"I-{kind}")
        previous_type, previous_prefix = kind, prefix
    return out


def test_crf_tagger_learns_iobes_and_scores_in_iob1(iob1_file, zoo_home, tmp_path):
    train("bilstm-crf-tagger", str(iob1_file), out="ner", progress=False,
          overrides={"embedding": {"dim": 8}, "encoder": {"hidden_size": 8}, "tokenizer": {"min_freq": 1},
                     "data": {"chars": {"dim": 0}}, "training": {"epochs": 2}})
    model = load("ner")
    assert (model.config.data.tag_scheme, model.config.data.train_scheme) == ("iob1", "iobes")
    assert any(label.startswith(("S-", "E-")) for label in model.vocabs["labels"].tokens)
    report = json.loads(CliRunner().invoke(main, ["eval", "ner", "--data", str(iob1_file), "--json"]).stdout)
    task = model.task
    sentences = task.read(str(iob1_file))
    encoded = task.encode(sentences, model.vocabs)
    labels = model.vocabs["labels"].tokens
    learnt = [[labels[i] for i in row] for row in task.tag_ids(model, encoded)]
    by_hand = [iobes_to_iob1_by_hand(tags) for tags in learnt]
    expected = span_scores([list(s.tags) for s in sentences], by_hand)
    assert report["f1"] == pytest.approx(expected["f1"]) and report["per_type"] == expected["per_type"]
    run = CliRunner().invoke(main, ["run", "ner", "-", "--tokenized", "--json"],
                             input="\n".join("\t".join(s.tokens) for s in sentences[:10]) + "\n")
    predictions = [json.loads(line)["prediction"] for line in run.stdout.splitlines()]
    assert predictions == by_hand[:10]  # given back in the data's IOB1
    assert not any(tag.startswith(("S-", "E-")) for tags in predictions for tag in tags)
