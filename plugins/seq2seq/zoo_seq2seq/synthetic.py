"""The embedded translation task: English number words to their digits ("four hundred two" -> "4 0 2").

Generated, so the demo and the tests need no download; it needs alignment (the digits come in the
words' order, one or several words per digit) and has clear right answers.
"""
from __future__ import annotations

import random
from pathlib import Path

ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen " \
       "sixteen seventeen eighteen nineteen".split()
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def below_thousand(number: int) -> list[str]:
    words = []
    if number >= 100:
        words += [ONES[number // 100], "hundred"]
        number %= 100
        if not number:
            return words
    if number >= 20:
        words.append(TENS[number // 10])
        if number % 10:
            words.append(ONES[number % 10])
    elif number or not words:
        words.append(ONES[number])
    return words


def number_words(number: int) -> str:
    """0 <= number < 1,000,000 in English words, without "and" or hyphens."""
    if number >= 1000:
        rest = number % 1000
        return " ".join(below_thousand(number // 1000) + ["thousand"] + (below_thousand(rest) if rest else []))
    return " ".join(below_thousand(number))


def write_number_pairs(directory: Path, n: int = 6000, seed: int = 7, largest: int = 999_999) -> Path:
    """A TSV of ``n`` distinct (words, spaced digits) pairs; rewritten only when missing."""
    path = Path(directory) / f"number-words-{n}-{largest}-{seed}.tsv"
    if path.exists():
        return path
    rng = random.Random(seed)
    numbers = rng.sample(range(largest + 1), min(n, largest + 1))
    lines = [f"{number_words(k)}\t{' '.join(str(k))}\n" for k in numbers]
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text("".join(lines), encoding="utf-8")
    temporary.replace(path)
    return path
