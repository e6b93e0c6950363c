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


SCHEMES = ("iob1", "bio", "iobes")


def detect_scheme(sentences: Iterable[Sequence[str]]) -> str | None:
    """The span scheme of tagged sentences: iobes (E- or S- tags), iob1 (an I- tag opens a chunk: after O,
    another type or at a sentence's start), else bio; None when the tags do not mark spans (POS tags)."""
    sentences = [list(tags) for tags in sentences]
    if not is_span_scheme(tag for tags in sentences for tag in tags):
        return None
    iob1 = False
    for tags in sentences:
        previous = ("O", "")
        for tag in tags:
            prefix, kind = split_tag(tag)
            if prefix in ("E", "S"):
                return "iobes"
            if prefix == "I" and (previous[0] == "O" or previous[1] != kind):
                iob1 = True
            previous = (prefix, kind)
    return "iob1" if iob1 else "bio"


def write_spans(found: Sequence[tuple[str, int, int]], length: int, scheme: str) -> list[str]:
    """Tags of ``length`` tokens marking the chunks ``found`` ((type, first, last)) in ``scheme``."""
    tags = ["O"] * length
    previous_end, previous_type = -2, None
    for kind, first, last in sorted(found, key=lambda span: span[1]):
        for i in range(first, last + 1):
            if scheme == "iob1":
                opens_after_same_type = i == first and previous_end == first - 1 and previous_type == kind
                tags[i] = f"{'B' if opens_after_same_type else 'I'}-{kind}"
            elif scheme == "bio":
                tags[i] = f"{'B' if i == first else 'I'}-{kind}"
            else:
                prefix = "S" if first == last else "B" if i == first else "E" if i == last else "I"
                tags[i] = f"{prefix}-{kind}"
        previous_end, previous_type = last, kind
    return tags


def convert_tags(tags: Sequence[str], source: str, target: str) -> list[str]:
    """The same chunks written in scheme ``target`` (tags read as conlleval reads ``source``)."""
    if source == target:
        return list(tags)
    return write_spans(spans(tags), len(tags), target)


def allowed_transitions(labels: Sequence[str], scheme: str):
    """For a CRF decoding ``labels`` learnt in ``scheme`` (bio or iobes): which tag may follow which, which may
    start and which may end a sentence, as lists of booleans ([previous][next], [tag], [tag]); None for other
    schemes (iob1 lets I- open a chunk: nothing to forbid) or tags that do not mark spans."""
    if scheme not in ("bio", "iobes") or not is_span_scheme(labels):
        return None
    parsed = [split_tag(label) for label in labels]
    inside = ("B", "I")  # tags after which a chunk goes on

    def may_follow(previous: tuple[str, str], following: tuple[str, str]) -> bool:
        (before, before_type), (prefix, kind) = previous, following
        if prefix in ("I", "E"):  # continues a chunk: only after its own B- or I-
            return before in inside and before_type == kind and not (scheme == "bio" and prefix == "E")
        if scheme == "iobes":  # B-, S-, O only once the previous chunk has ended
            return before in ("O", "E", "S")
        return True

    transitions = [[may_follow(p, n) for n in parsed] for p in parsed]
    start = [prefix not in ("I", "E") for prefix, _ in parsed]
    end = [scheme == "bio" or prefix not in ("B", "I") for prefix, _ in parsed]
    return transitions, start, end
