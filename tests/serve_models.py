"""Tiny models of every first-party task, trained a few steps into a store, for the `zoo serve` tests."""
from __future__ import annotations

import random
from pathlib import Path

import zoo_core as zoo
from zoo_core.data.synthetic import write_sentiment_files

SMALL = {"embedding": {"dim": 8}, "encoder": {"hidden_size": 8}, "training": {"epochs": 1, "batch_size": 32}}
NAMES = ("clf", "attn", "tagger", "lm", "mt")


def write_chunks(path: Path, sentences: int = 40) -> Path:
    """CoNLL lines `word POS chunk` of `the cat sees a dog .`-like sentences (BIO chunks)."""
    rng = random.Random(0)
    nouns = ["cat", "dog", "mat", "bird"]
    lines = []
    for _ in range(sentences):
        words = [("the", "B-NP"), (rng.choice(nouns), "I-NP"), ("sees", "B-VP"), ("a", "B-NP"),
                 (rng.choice(nouns), "I-NP"), (".", "O")]
        lines += [f"{word} X {tag}" for word, tag in words] + [""]
    path.write_text("\n".join(lines) + "\n")
    return path


def train_models(home: Path) -> None:
    """clf (lstm-classifier), attn (attention pooling: explain), tagger, lm (characters), mt (translation)."""
    sentiment = str(write_sentiment_files(home / "sentiment", n=120, seed=3))
    zoo.train("lstm-classifier", sentiment, out="clf", progress=False, overrides=SMALL)
    zoo.train("bilstm-attn-classifier", sentiment, out="attn", progress=False, overrides=SMALL)
    zoo.train("bilstm-tagger", str(write_chunks(home / "chunks.txt")), out="tagger", progress=False,
              overrides={**SMALL, "data": {"chars": {"dim": 4, "filters": 4}}})
    corpus = home / "corpus.txt"
    corpus.write_text("the cat sat on the mat. " * 40)
    zoo.train("char-lstm-lm", str(corpus), out="lm", progress=False,
              overrides={**SMALL, "data": {"chunk_length": 16}, "training": {"epochs": 1, "batch_size": 8}})
    from zoo_seq2seq.synthetic import write_number_pairs

    pairs = write_number_pairs(home, n=60, largest=99)
    zoo.train("gru-attn-seq2seq", str(pairs), out="mt", progress=False, text_field="0", label_field="1",
              overrides={**SMALL, "training": {"epochs": 1, "batch_size": 16}, "data": {"max_length": 5},
                         "head": {"hidden_size": 8, "embedding_dim": 8, "attention_dim": 8}})
