"""Training throughput of `lstm-classifier` through the zoo against a hand-written PyTorch loop.

Same model sizes (vocab 10k, embedding 128, hidden 256, 2 classes), AdamW, gradient clipping,
batch 32, length 50, CPU. The zoo side runs its real trainer (`zoo_core.training.loop.fit`) over
encoded examples; the baseline gets ready-made batch tensors. Repetitions are interleaved and
the ratio is the median of per-repetition ratios.

    .venv/bin/python bench/bench_classifier.py [--reps 5] [--batches 60]
"""
from __future__ import annotations

import argparse
import random
import statistics
import time

import torch
from torch import nn

import zoo_core
from zoo_core.training.loop import fit

VOCAB, EMBED, HIDDEN, BATCH, LENGTH, CLASSES = 10_000, 128, 256, 32, 50, 2


class HandWritten(nn.Module):
    """The classic LSTM text classifier: final hidden state, then a linear layer."""

    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, EMBED, padding_idx=0)
        self.lstm = nn.LSTM(EMBED, HIDDEN, batch_first=True)
        self.output = nn.Linear(HIDDEN, CLASSES)

    def forward(self, tokens):
        _, (hidden, _) = self.lstm(self.embedding(tokens))
        return self.output(hidden[-1])


def baseline_epoch(model, optimizer, batches) -> float:
    model.train()
    start = time.perf_counter()
    for tokens, labels in batches:
        loss = nn.functional.cross_entropy(model(tokens), labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
    return len(batches) * BATCH / (time.perf_counter() - start)


def zoo_epoch(model, encoded) -> float:
    start = time.perf_counter()
    fit(model, encoded, [], progress=False)
    return len(encoded) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--batches", type=int, default=60)
    args = parser.parse_args()
    torch.manual_seed(0)
    rng = random.Random(0)
    examples = [([rng.randrange(2, VOCAB) for _ in range(LENGTH)], rng.randrange(CLASSES))
                for _ in range(args.batches * BATCH)]
    batches = [(torch.tensor([e[0] for e in examples[i:i + BATCH]]), torch.tensor([e[1] for e in examples[i:i + BATCH]]))
               for i in range(0, len(examples), BATCH)]

    zoo_model = zoo_core.create_model("lstm-classifier", vocab=VOCAB, num_classes=CLASSES,
                                      training={"epochs": 1, "batch_size": BATCH, "clip_norm": 5.0})
    baseline = HandWritten()
    optimizer = torch.optim.AdamW(baseline.parameters(), lr=1e-3)
    zoo_epoch(zoo_model, examples[: BATCH * 5])  # warm-up both
    baseline_epoch(baseline, optimizer, batches[:5])

    zoo_rates, base_rates = [], []
    for _ in range(args.reps):
        zoo_rates.append(zoo_epoch(zoo_model, examples))
        base_rates.append(baseline_epoch(baseline, optimizer, batches))
    ratios = [z / b for z, b in zip(zoo_rates, base_rates)]
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, {args.reps} reps x {args.batches} batches")
    print(f"| case | train seq/s (median, min-max) |")
    print(f"|---|---|")
    print(f"| zoo lstm-classifier | {statistics.median(zoo_rates):,.0f} ({min(zoo_rates):,.0f}-{max(zoo_rates):,.0f}) |")
    print(f"| hand-written LSTM | {statistics.median(base_rates):,.0f} ({min(base_rates):,.0f}-{max(base_rates):,.0f}) |")
    print(f"| ratio zoo / hand-written | {statistics.median(ratios):.3f}x ({min(ratios):.3f}-{max(ratios):.3f}) |")


if __name__ == "__main__":
    main()
