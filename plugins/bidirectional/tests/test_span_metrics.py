"""Span metrics as conlleval computes them, on hand-made examples counted by hand."""
import pytest

from zoo_bidirectional.spans import is_span_scheme, span_scores, spans, token_accuracy


def test_bio_chunks_and_conlleval_scores():
    gold = ["B-NP", "I-NP", "O", "B-VP", "B-NP", "I-NP", "O", "B-PP", "B-NP"]
    pred = ["B-NP", "I-NP", "O", "B-VP", "B-NP", "O", "O", "B-PP", "I-NP"]
    assert spans(gold) == [("NP", 0, 1), ("VP", 3, 3), ("NP", 4, 5), ("PP", 7, 7), ("NP", 8, 8)]
    # conlleval: an I- tag after another type opens a chunk, so pred's last I-NP is NP(8, 8).
    assert spans(pred) == [("NP", 0, 1), ("VP", 3, 3), ("NP", 4, 4), ("PP", 7, 7), ("NP", 8, 8)]
    scores = span_scores([gold], [pred])
    # 4 of 5 chunks correct both ways, as conlleval prints: precision 80.00%, recall 80.00%, FB1 80.00.
    assert (scores["precision"], scores["recall"], scores["f1"]) == pytest.approx((0.8, 0.8, 0.8))
    assert scores["per_type"]["NP"] == pytest.approx({"precision": 2 / 3, "recall": 2 / 3, "f1": 2 / 3, "support": 3})
    assert scores["per_type"]["VP"]["f1"] == 1.0
    assert token_accuracy([gold], [pred]) == pytest.approx(7 / 9)


def test_uneven_precision_and_recall():
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]]
    pred = [["B-PER", "I-PER", "O", "O"], ["B-ORG", "B-ORG"]]
    scores = span_scores(gold, pred)
    # gold 3 chunks, predicted 3, correct 2 -> P = R = 2/3; LOC missed, one spurious ORG.
    assert scores["precision"] == pytest.approx(2 / 3) and scores["recall"] == pytest.approx(2 / 3)
    assert scores["per_type"]["LOC"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert scores["per_type"]["ORG"]["precision"] == pytest.approx(0.5)
    assert scores["per_type"]["ORG"]["recall"] == 1.0


def test_iob1_and_iobes():
    # IOB1: B- only where a chunk follows another of the same type.
    assert spans(["I-NP", "I-NP", "B-NP", "O", "I-VP"]) == [("NP", 0, 1), ("NP", 2, 2), ("VP", 4, 4)]
    assert spans(["S-PER", "B-ORG", "I-ORG", "E-ORG", "S-PER", "S-PER"]) == [
        ("PER", 0, 0), ("ORG", 1, 3), ("PER", 4, 4), ("PER", 5, 5)]
    assert spans(["B-NP", "I-VP"]) == [("NP", 0, 0), ("VP", 1, 1)]


def test_span_scheme_detection():
    assert is_span_scheme(["O", "B-NP", "I-NP"])
    assert not is_span_scheme(["NN", "DT", "VBD"])
    assert not is_span_scheme(["O"])
