"""Checkpoint overhead: lstm-classifier on rt-polarity (1 thread), every checkpoint the trainer writes timed,
against the epoch's own time; then the full checkpoint (weights, best weights, AdamW state, RNG states, JSON)
against a hand-written baseline that saves only the weights with safetensors' save_file.

Repetitions of the save comparison are interleaved; medians and the median per-repetition ratio are printed.

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_checkpoints.py [--epochs 2] [--reps 5]
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import torch
from safetensors.torch import save_file

import zoo_core as zoo
from zoo_core.training import loop
from zoo_core.training.checkpoints import save_checkpoint

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "rt-polarity"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    timings: list[float] = []
    sizes: list[int] = []
    captured: dict = {}

    def timed_save(path, contents):
        start = time.perf_counter()
        save_checkpoint(path, contents)
        timings.append(time.perf_counter() - start)
        sizes.append(path.stat().st_size)
        captured["contents"] = contents

    loop.save_checkpoint = timed_save
    with tempfile.TemporaryDirectory() as home:
        os.environ["ZOO_HOME"] = home
        model = zoo.train("lstm-classifier", str(DATA), out="bench", progress=False,
                          training__epochs=args.epochs, training__patience=None)
        history = model.training_summary["history"]
        epoch_seconds = statistics.median(row["seconds"] for row in history)
        print(f"lstm-classifier on rt-polarity: {model.num_parameters():,} parameters, {len(history)} epochs, "
              f"median epoch {epoch_seconds:.2f} s (1 thread)")
        print(f"checkpoints written by the trainer: {len(timings)}, {statistics.median(sizes) / 2**20:.1f} MiB each, "
              f"median {statistics.median(timings):.3f} s = {100 * statistics.median(timings) / epoch_seconds:.2f}% "
              "of an epoch")
        contents, ours, bare = captured["contents"], [], []
        state = {k: v.contiguous() for k, v in model.state_dict().items()}
        for _ in range(args.reps):
            start = time.perf_counter()
            save_checkpoint(Path(home) / "full.checkpoint", contents)
            ours.append(time.perf_counter() - start)
            start = time.perf_counter()
            save_file(state, str(Path(home) / "bare.safetensors"))
            bare.append(time.perf_counter() - start)
        ratio = statistics.median(o / b for o, b in zip(ours, bare))
        print("| case | median s |\n|---|---|")
        print(f"| full checkpoint (save_checkpoint) | {statistics.median(ours):.3f} |")
        print(f"| hand-written: weights only (save_file) | {statistics.median(bare):.3f} |")
        print(f"full / weights-only: {ratio:.2f}x (the checkpoint holds about 4 copies of the weights)")


if __name__ == "__main__":
    main()
