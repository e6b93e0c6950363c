"""Data larger than memory (`training.stream`): examples read lazily, a vocabulary counted in one pass
with a bounded counter, and batches drawn through a shuffle buffer. Pure Python: no torch."""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, replace
from typing import Callable, Iterable, Iterator, Optional

from zoo_core.data.readers import TextExample, rule_split, stream_classification

COUNTER_FLOOR = 200_000  # distinct tokens a bounded counter may hold before it prunes


@dataclass(frozen=True)
class StreamedExamples:
    """One split of a csv/tsv/jsonl file, re-read from disk on every pass.

    ``split`` ("train", "valid" or "test") picks examples by `rule_split`, as loading does, with
    ``valid_given``/``test_given`` when those splits are files of their own; None keeps every example
    (a file given with --valid/--test). ``rank``/``world_size`` keep every world_size-th example, so
    processes of a distributed run read disjoint shares.
    """

    path: str
    format: Optional[str]
    text_field: str
    label_field: Optional[str]
    split: Optional[str] = None
    valid_given: bool = False
    test_given: bool = False
    rank: int = 0
    world_size: int = 1

    def __iter__(self) -> Iterator[TextExample]:
        kept = 0
        for example in stream_classification(self.path, self.format, self.text_field, self.label_field):
            if self.split and rule_split(example.index, self.valid_given, self.test_given) != self.split:
                continue
            if kept % self.world_size == self.rank:
                yield example
            kept += 1

    def shard(self, rank: int, world_size: int) -> "StreamedExamples":
        return replace(self, rank=rank, world_size=world_size)


@dataclass(frozen=True)
class EncodedStream:
    """Examples turned into model inputs as they are read (what a task's `encode` returns for a stream)."""

    examples: StreamedExamples
    encode_one: Callable[[TextExample], object]

    def __iter__(self) -> Iterator:
        return (self.encode_one(example) for example in self.examples)

    def shard(self, rank: int, world_size: int) -> "EncodedStream":
        return replace(self, examples=self.examples.shard(rank, world_size))


def bounded_counts(sequences: Iterable[Iterable[str]], max_size: Optional[int]) -> Counter:
    """Token counts in one pass, holding at most about ``4 x max_size`` (at least 200,000) distinct tokens.

    When the counter outgrows that, the rarest half is dropped (a token seen rarely so far is unlikely
    to make the final cut); the counts of frequent tokens stay exact. Memory is bounded by the cap,
    not by the corpus.
    """
    limit = max(4 * (max_size or 0), COUNTER_FLOOR)
    counts: Counter = Counter()
    for sequence in sequences:
        counts.update(sequence)
        if len(counts) > limit:
            keep = counts.most_common(limit // 2)
            counts = Counter(dict(keep))
    return counts


def shuffle_buffer(items: Iterable, size: int, rng: random.Random) -> Iterator:
    """Items in a random order, holding only ``size`` of them: each new item replaces a random held
    one, which is yielded (tf.data's shuffle buffer). A buffer as large as the data is a full shuffle."""
    buffer: list = []
    for item in items:
        if len(buffer) < size:
            buffer.append(item)
            continue
        slot = rng.randrange(size)
        yield buffer[slot]
        buffer[slot] = item
    rng.shuffle(buffer)
    yield from buffer


def windows(items: Iterable, size: int) -> Iterator[list]:
    """Consecutive lists of ``size`` items (the last may be shorter)."""
    window: list = []
    for item in items:
        window.append(item)
        if len(window) == size:
            yield window
            window = []
    if window:
        yield window
