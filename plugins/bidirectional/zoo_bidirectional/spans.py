"""Token accuracy and span precision / recall / F1 as the conlleval script computes them,
for BIO (IOB2), IOB1 and IOBES tags (S- and E- handled as seqeval's conlleval mode does)."""
from __future__ import annotations

import re
from collections import Counter
from typing import Iterable, Sequence

_SPAN_TAG = re.compile(r"^[BIES]-.+$")


def is_span_scheme(tags: Iterable[str]) -> bool:
    """Whether every tag is O or PREFIX-TYPE with prefix B, I, E or S (chunks, entities)."""
    tags = list(tags)
    return bool(tags) and all(t == "O" or _SPAN_TAG.match(t) for t in tags) and any(t != "O" for t in tags)


def split_tag(tag: str) -> tuple[str, str]:
    if tag == "O" or "-" not in tag:
        return "O", ""
    prefix, _, kind = tag.partition("-")
    return prefix, kind


def _ends(prev: str, tag: str, prev_type: str, kind: str) -> bool:
    return (prev in ("E", "S") or (prev in ("B", "I") and tag in ("B", "S", "O"))
            or (prev != "O" and prev_type != kind))


def _starts(prev: str, tag: str, prev_type: str, kind: str) -> bool:
    return (tag in ("B", "S") or (tag in ("I", "E") and prev in ("E", "S", "O"))
            or (tag != "O" and prev_type != kind))


def spans(tags: Sequence[str]) -> list[tuple[str, int, int]]:
    """(type, first, last) of every chunk; last is inclusive."""
    found, begin, prev, prev_type = [], None, "O", ""
    for i, tag in enumerate([*tags, "O"]):
        prefix, kind = split_tag(tag)
        if begin is not None and _ends(prev, prefix, prev_type, kind):
            found.append((prev_type, begin, i - 1))
            begin = None
        if _starts(prev, prefix, prev_type, kind):
            begin = i
        prev, prev_type = prefix, kind
    return found


def _prf(correct: int, predicted: int, gold: int) -> dict:
    precision = correct / predicted if predicted else 0.0
    recall = correct / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def span_scores(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]) -> dict:
    """Overall precision, recall, F1 and the same per chunk type (with its gold count) over sentences."""
    correct, n_predicted, n_gold = Counter(), Counter(), Counter()
    for gold_tags, predicted_tags in zip(gold, predicted):
        gold_spans, predicted_spans = set(spans(gold_tags)), set(spans(predicted_tags))
        for kind, _, _ in gold_spans:
            n_gold[kind] += 1
        for kind, _, _ in predicted_spans:
            n_predicted[kind] += 1
        for kind, _, _ in gold_spans & predicted_spans:
            correct[kind] += 1
    overall = _prf(sum(correct.values()), sum(n_predicted.values()), sum(n_gold.values()))
    per_type = {kind: {**_prf(correct[kind], n_predicted[kind], n_gold[kind]), "support": n_gold[kind]}
                for kind in sorted(set(n_gold) | set(n_predicted))}
    return {**overall, "per_type": per_type}


def token_accuracy(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]) -> float:
    pairs = [(g, p) for gs, ps in zip(gold, predicted) for g, p in zip(gs, ps)]
    return sum(g == p for g, p in pairs) / len(pairs) if pairs else 0.0
