"""Tagger training speed with contextual string embeddings (two frozen char LMs, cached per sentence) against
the plain tagger (bilstm-crf-tagger), same sentences, same batches.

Four ways, interleaved in each round: the plain tagger; the contextual tagger with the cache filled (every
epoch after the first); the contextual tagger's first epoch (the cache filled as it goes: each distinct
sentence through both LMs once, batched); the contextual tagger with the cache off (both LMs on every batch).
The LMs are char-lstm-lm of the experiment's size (512 hidden units, 64-dimension embedding); their weights do
not change the speed, so they are left at their initialisation. Training tokens per second (forward, CRF loss,
backward, AdamW step); medians over rounds, and each median's ratio to the plain tagger.

    flock /tmp/zoo-heavy.lock .venv/bin/python bench/bench_contextual.py [--sentences 512] [--rounds 3]
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from pathlib import Path

import torch

from zoo_bidirectional.tag_task import TagTask
from zoo_core import get_config
from zoo_core.data.char_lm_vocab import CharLMVocab
from zoo_core.data.vocab import BOS, PAD, UNK, Vocab
from zoo_core.modeling.model import ZooModel

CONLL = Path(__file__).resolve().parents[2] / "shared" / "data" / "conll2000" / "train.txt"


def sentences(count: int):
    from zoo_bidirectional.readers import read_tagged

    if CONLL.exists():
        return read_tagged(str(CONLL), "conll", None, 2)[:count]
    from zoo_bidirectional.readers import TaggedSentence  # no shared data: random 24-word sentences

    rng = random.Random(0)
    words = [f"w{i}" for i in range(2000)]
    return [TaggedSentence(tuple(rng.choice(words) for _ in range(24)), tuple("B-NP" for _ in range(24)))
            for _ in range(count)]


def build(architecture: str, data, lms: int):
    """A tagger whose contextual LMs (if any) are char LMs of the experiment's size, at their initialisation."""
    config = get_config(architecture)
    names = list(config.embedding.contextual)[:lms]
    config.embedding.contextual = []  # the LMs' vocabularies are made below, not loaded from the store
    task = TagTask(config)
    vocabs = task.build_vocabs(data)
    lm_config = get_config("char-lstm-lm", encoder__hidden_size=512).to_dict()
    chars = Vocab.build([list("\n" + " ".join(s.tokens)) for s in data], specials=(PAD, UNK, BOS))
    for index in range(lms):
        reverse = {**lm_config, "data": {**lm_config["data"], "reverse": bool(index)}}
        vocabs[f"contextual:{index}"] = CharLMVocab(chars.tokens, reverse, f"initialised-{index}", "-")
    config.embedding.contextual = names
    model = ZooModel(config, vocabs, task=task)
    return model, task, task.encode(data, vocabs)


def epoch(model, task, encoded, batch_size: int) -> float:
    """Training tokens per second over one pass."""
    model.train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    tokens, started = 0, time.perf_counter()
    for batch in task.batches(encoded, batch_size, torch.device("cpu"), True, random.Random(0)):
        loss, _ = task.train_step(model, batch, None)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        tokens += int(batch["lengths"].sum())
    return tokens / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    torch.manual_seed(0)
    data = sentences(args.sentences)
    plain = build("bilstm-crf-tagger", data, 0)
    contextual = build("bilstm-crf-flair-tagger", data, 2)
    module = contextual[0].token_features.contextual
    rates: dict[str, list[float]] = {"plain": [], "cached": [], "first epoch": [], "no cache": []}
    for _ in range(args.rounds):
        rates["plain"].append(epoch(*plain, args.batch_size))
        module.use_cache = True
        module.cache.clear()
        rates["first epoch"].append(epoch(*contextual, args.batch_size))
        rates["cached"].append(epoch(*contextual, args.batch_size))
        module.use_cache = False
        rates["no cache"].append(epoch(*contextual, args.batch_size))
    base = statistics.median(rates["plain"])
    print(f"{len(data)} sentences, {sum(len(s.tokens) for s in data):,} tokens, batch {args.batch_size}, "
          f"{torch.get_num_threads()} thread(s), OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '-')}, "
          f"{args.rounds} rounds; contextual dims {module.out_dim}")
    print("| tagger | training tokens/s (median) | per round | vs plain |\n|---|---|---|---|")
    for name, values in rates.items():
        print(f"| {name} | {statistics.median(values):,.0f} | {', '.join(f'{v:,.0f}' for v in values)} | "
              f"{statistics.median(values) / base:.2f}x |")


if __name__ == "__main__":
    main()
