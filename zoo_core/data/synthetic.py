"""A synthetic movie-review sentiment task, small enough for tests and demos.

It is a real learning problem, not a keyword lookup: the same sentiment words
occur in both classes, and the label depends on word order:
- negation flips a clause ("not good" is negative, "never boring" positive),
  but "could not have been more dull" does not flip;
- in a contrast the main clause decides: after "but"/"yet"/"however", and
  "although X , Y" / "Y , although X" are both decided by Y;
- intensifiers, neutral clauses and fillers are shared by both classes;
- about 5% of labels are flipped (noise), balanced between the classes.
Everything comes from the word lists and templates below (no copied text),
and `random.Random(seed)` makes it deterministic.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

POS_ADJ = ["good", "great", "superb", "brilliant", "charming", "gripping", "delightful", "clever",
           "beautiful", "moving", "sharp", "witty", "stunning", "engaging", "memorable", "touching",
           "fresh", "solid", "excellent", "wonderful"]
NEG_ADJ = ["bad", "dull", "boring", "awful", "clumsy", "tedious", "bland", "weak", "messy",
           "forgettable", "lifeless", "flat", "predictable", "shallow", "tiresome", "terrible",
           "sloppy", "stale", "poor", "painful"]
# (past, base) forms: "i loved the cast" / "i did not love the cast".
POS_VERBS = [("liked", "like"), ("loved", "love"), ("enjoyed", "enjoy"), ("admired", "admire"), ("adored", "adore")]
NEG_VERBS = [("hated", "hate"), ("disliked", "dislike"), ("loathed", "loathe"), ("resented", "resent")]
POS_WORDS = frozenset(POS_ADJ + [w for pair in POS_VERBS for w in pair])
NEG_WORDS = frozenset(NEG_ADJ + [w for pair in NEG_VERBS for w in pair])

ASPECTS = ["plot", "acting", "script", "soundtrack", "cast", "dialogue", "pacing", "direction",
           "ending", "camera work", "story", "humor", "lead performance", "score", "editing",
           "set design", "premise", "final act", "villain", "screenplay"]
FILMS = ["film", "movie", "picture", "sequel", "thriller", "comedy", "drama", "remake"]
COPULAS = ["was", "is", "felt", "seemed", "looked", "turned out", "proved"]
INTENSIFIERS = ["very", "really", "quite", "truly", "rather", "incredibly", "pretty", "fairly",
                "remarkably", "so", "deeply", "oddly", "surprisingly"]
NOT_INTENSIFIERS = ["very", "really", "particularly", "so", "terribly", "especially"]
NEGATORS = ["not", "never", "hardly", "not at all", "far from", "anything but"]
SUBJECTS = ["i", "we", "my friends", "the audience", "most critics", "my sister", "everyone i know"]
PREFIXES = ["honestly ,", "to be fair ,", "in the end ,", "frankly ,", "at first glance ,",
            "all things considered ,", "for what it is worth ,", "as expected ,", "to my surprise ,"]
SUFFIXES = ["for the most part", "at times", "in places", "throughout", "from start to finish",
            "if you ask me", "by any measure", "in its own way", "on the whole", "on a second viewing"]
# Neutral clauses: sentiment-free padding that both classes share.
NEUTRAL = ["i saw it last weekend", "the {film} runs about two hours", "it opened in the spring",
           "the theater was half empty", "i watched it with my family", "it is based on a novel",
           "the {film} was shot in the north", "it has a large cast"]
CONTRASTS = [", but", "but", ", yet", "; however ,", "; still ,"]       # the clause after decides
CONCESSIVES = ["although", "though", "even though", "while", "despite the fact that"]  # "C X , Y": Y decides
TRAILING = [", although", ", even though", ", while"]                   # "Y , C X": Y decides

NOISE = 0.05
MIN_WORDS, MAX_WORDS = 5, 30


def _subject(rng: random.Random) -> str:
    if rng.random() < 0.3:
        return f"the {rng.choice(FILMS)} 's {rng.choice(ASPECTS)}"
    return f"the {rng.choice(ASPECTS)}"


def _clause(rng: random.Random, polarity: int) -> str:
    """A clause whose sentiment is `polarity` (+1/-1), often via negation."""
    if rng.random() < 0.75:
        subject, cop = _subject(rng), rng.choice(COPULAS)
        if rng.random() < 0.06:  # emphatic "not": a trap that does not flip
            return f"{subject} could not have been more {rng.choice(POS_ADJ if polarity > 0 else NEG_ADJ)}"
        negate = rng.random() < 0.4
        adj = rng.choice(POS_ADJ if (polarity > 0) != negate else NEG_ADJ)
        if negate:  # "felt not good" reads badly: negation takes "was"/"is"
            cop = rng.choice(["was", "is"])
        neg = rng.choice(NEGATORS) + " " if negate else ""
        # "not very good" reads naturally; "far from very good" does not.
        intens = ""
        if rng.random() < 0.35 and neg in ("", "not "):
            intens = rng.choice(NOT_INTENSIFIERS if neg else INTENSIFIERS) + " "
        return f"{subject} {cop} {neg}{intens}{adj}"
    negate = rng.random() < 0.4
    past, base = rng.choice(POS_VERBS if (polarity > 0) != negate else NEG_VERBS)
    verb = rng.choice([f"did not {base}", f"never {past}"]) if negate else past
    obj = rng.choice(["the " + rng.choice(FILMS), "it", "the " + rng.choice(ASPECTS)])
    return f"{rng.choice(SUBJECTS)} {verb} {obj}"


def _decorate(rng: random.Random, clause: str) -> str:
    """Maybe a shared suffix ("at times") after a clause."""
    return f"{clause} {rng.choice(SUFFIXES)}" if rng.random() < 0.25 else clause


def _sentence(rng: random.Random, y: int) -> str:
    kind = rng.random()
    if kind < 0.35:  # plain: one or two clauses that agree, maybe neutral padding
        parts = [_decorate(rng, _clause(rng, y))]
        if rng.random() < 0.3:
            parts.append("and " + _clause(rng, y))
        if rng.random() < 0.3:
            parts.insert(0, rng.choice(NEUTRAL).format(film=rng.choice(FILMS)) + " and")
        body = " ".join(parts)
    elif kind < 0.62:  # "X but Y": Y decides
        body = f"{_clause(rng, -y)} {rng.choice(CONTRASTS)} {_decorate(rng, _clause(rng, y))}"
    elif kind < 0.83:  # "although X , Y": Y decides
        body = f"{rng.choice(CONCESSIVES)} {_clause(rng, -y)} , {_decorate(rng, _clause(rng, y))}"
    else:  # "Y , although X": Y decides even though it comes first
        body = f"{_decorate(rng, _clause(rng, y))} {rng.choice(TRAILING)} {_clause(rng, -y)}"
    if rng.random() < 0.3:
        body = f"{rng.choice(PREFIXES)} {body}"
    return body + " " + rng.choice([".", ".", ".", "!"])


def _n_words(text: str) -> int:
    return sum(1 for t in text.split() if t[0].isalnum())


def _generate(n: int, seed: int) -> list[tuple[str, str, str]]:
    """(text, noisy label, clean label) triples; the clean one is for tests."""
    rng = random.Random(seed)
    ys = [1, -1] * (n // 2) + [1] * (n % 2)
    rng.shuffle(ys)
    # Flip the same number in each class, so noise keeps the classes balanced.
    flips_per_class = round(n * NOISE / 2)
    pos_idx = [i for i, y in enumerate(ys) if y > 0]
    neg_idx = [i for i, y in enumerate(ys) if y < 0]
    flipped = set(rng.sample(pos_idx, flips_per_class) + rng.sample(neg_idx, flips_per_class))
    out = []
    for i, y in enumerate(ys):
        while True:  # resample until the length is in range
            text = _sentence(rng, y)
            if MIN_WORDS <= _n_words(text) <= MAX_WORDS:
                break
        clean = "pos" if y > 0 else "neg"
        noisy = ("neg" if y > 0 else "pos") if i in flipped else clean
        out.append((text, noisy, clean))
    return out


def generate_sentiment(n: int, seed: int) -> list[tuple[str, str]]:
    """`n` (text, label) pairs, label "pos" or "neg", balanced; deterministic in `seed`.

    >>> generate_sentiment(2, seed=0)  # doctest: +SKIP
    [('the plot was not very dull .', 'pos'), ...]
    """
    return [(text, label) for text, label, _ in _generate(n, seed)]


def write_sentiment_files(directory, n: int, seed: int) -> Path:
    """Write `synthetic-sentiment.pos` / `.neg` (label-files format) in `directory`.

    Returns the prefix `directory/synthetic-sentiment`, which
    `read_classification` accepts. Each file is written to a temporary name
    and renamed, so a reader never sees half a file.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    prefix = directory / "synthetic-sentiment"
    examples = generate_sentiment(n, seed)
    for label in ("pos", "neg"):
        target = Path(f"{prefix}.{label}")
        tmp = target.with_name(f".{target.name}.tmp{os.getpid()}")
        tmp.write_text("".join(t + "\n" for t, lab in examples if lab == label), encoding="utf-8")
        os.replace(tmp, target)
    return prefix
