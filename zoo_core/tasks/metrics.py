"""Classification metrics (pure Python)."""
from __future__ import annotations

from typing import Sequence


def accuracy(gold: Sequence, predicted: Sequence) -> float:
    if not gold:
        return 0.0
    return sum(g == p for g, p in zip(gold, predicted)) / len(gold)


def macro_f1(gold: Sequence, predicted: Sequence) -> float:
    """Mean F1 over the labels present in gold or predictions."""
    labels = sorted(set(gold) | set(predicted))
    if not labels:
        return 0.0
    scores = []
    for label in labels:
        tp = sum(g == label and p == label for g, p in zip(gold, predicted))
        fp = sum(g != label and p == label for g, p in zip(gold, predicted))
        fn = sum(g == label and p != label for g, p in zip(gold, predicted))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores)


def per_class_scores(gold: Sequence, predicted: Sequence, names: Sequence[str]) -> dict[str, dict]:
    """Precision, recall, F1 and support (gold count) of each class; ``names[i]`` names class ``i``.
    Classes neither in gold nor predicted are left out (as in ``macro_f1``)."""
    scores = {}
    for label in sorted(set(gold) | set(predicted)):
        tp = sum(g == label and p == label for g, p in zip(gold, predicted))
        predicted_count = sum(p == label for p in predicted)
        support = sum(g == label for g in gold)
        precision = tp / predicted_count if predicted_count else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
        scores[names[label]] = {"precision": precision, "recall": recall, "f1": f1, "support": support}
    return scores
