"""Vocabularies and tokenizers (pure Python: no torch)."""
from __future__ import annotations

import re
from collections import Counter
from typing import Iterable

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<s>", "</s>"
PAD_ID, UNK_ID = 0, 1

_WORD = re.compile(r"\w+(?:'\w+)?|[^\w\s]", re.UNICODE)


def tokenize(text: str, kind: str = "word", lowercase: bool = True) -> list[str]:
    """Words and punctuation (``kind="word"``) or characters (``kind="char"``)."""
    if lowercase:
        text = text.lower()
    return list(text) if kind == "char" else _WORD.findall(text)


class Vocab:
    """Token <-> id. Id 0 is ``<pad>`` and id 1 is ``<unk>`` unless built without specials (labels)."""

    def __init__(self, tokens: Iterable[str]):
        self.tokens = list(tokens)
        self.index = {token: i for i, token in enumerate(self.tokens)}
        if len(self.index) != len(self.tokens):
            raise ValueError("vocabulary has duplicate tokens")

    @classmethod
    def build(
        cls,
        sequences: Iterable[Iterable[str]],
        min_freq: int = 1,
        max_size: int | None = None,
        specials: tuple[str, ...] = (PAD, UNK),
    ) -> "Vocab":
        return cls.from_counts(Counter(token for sequence in sequences for token in sequence), min_freq, max_size, specials)

    @classmethod
    def from_counts(cls, counts: Counter, min_freq: int = 1, max_size: int | None = None,
                    specials: tuple[str, ...] = (PAD, UNK)) -> "Vocab":
        # Most frequent first, ties alphabetical, so the same data always gives the same ids.
        ranked = sorted((t for t, c in counts.items() if c >= min_freq and t not in specials), key=lambda t: (-counts[t], t))
        if max_size is not None:
            ranked = ranked[: max(0, max_size - len(specials))]
        return cls([*specials, *ranked])

    @classmethod
    def of_labels(cls, labels: Iterable[str]) -> "Vocab":
        return cls(sorted(set(labels)))

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: str) -> bool:
        return token in self.index

    def id(self, token: str) -> int:
        return self.index.get(token, UNK_ID)

    def encode(self, tokens: Iterable[str]) -> list[int]:
        return [self.index.get(token, UNK_ID) for token in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.tokens[i] for i in ids]
