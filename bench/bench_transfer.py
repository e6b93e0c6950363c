"""Transfer costs: reading pretrained word vectors and `--init`, each against a hand-written baseline.

- vectors: `zoo_core.data.vectors.find_vectors` on a generated 100,000-word text file for a 20,000-word
  vocabulary, against the classic loop (parse every line into a dict of float arrays, then look up).
- init: `zoo_core.training.transfer.initialize_from` between two lstm-classifiers (100k and 50k tokens, 25k
  shared), against a hand-written copy (same-shape tensors, then the shared tokens' rows in a Python loop).

Repetitions are interleaved; medians and the median of per-repetition ratios are printed.

    .venv/bin/python bench/bench_transfer.py [--reps 3] [--words 100000] [--dim 100]
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

import zoo_core as zoo
from zoo_core.data.vectors import find_vectors
from zoo_core.training.transfer import initialize_from


def hand_written_vectors(path: Path, tokens: list[str]) -> dict[int, np.ndarray]:
    table = {}
    with open(path, encoding="utf-8") as file:
        for line in file:
            word, *values = line.rstrip().split(" ")
            table[word] = np.array([float(v) for v in values], dtype=np.float32)
    return {i: table[t] for i, t in enumerate(tokens) if t in table}


@torch.no_grad()
def hand_written_init(target, source) -> None:
    theirs = source.state_dict()
    for name, tensor in target.state_dict().items():
        if name == "embedding.weight":
            for i, token in enumerate(target.vocabs["tokens"].tokens):
                j = source.vocabs["tokens"].index.get(token)
                if j is not None:
                    tensor[i] = theirs[name][j]
        elif name in theirs and theirs[name].shape == tensor.shape:
            tensor.copy_(theirs[name])


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--words", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=100)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(args.words)]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "vectors.txt"
        with path.open("w", encoding="utf-8") as file:
            for word in words:
                file.write(word + " " + " ".join(f"{x:.5f}" for x in rng.normal(size=args.dim)) + "\n")
        tokens = ["<pad>", "<unk>", *words[::5]]
        source = zoo.create_model("lstm-classifier", vocab=["<pad>", "<unk>", *words], embedding__dim=128)
        target = zoo.create_model("lstm-classifier", vocab=["<pad>", "<unk>", *[f"w{i}" for i in range(0, 2 * args.words, 4)]],
                                  embedding__dim=128)
        rows = {"vectors zoo": [], "vectors hand-written": [], "init zoo": [], "init hand-written": []}
        for _ in range(args.reps):  # interleaved
            rows["vectors zoo"].append(timed(lambda: find_vectors(path, tokens)))
            rows["vectors hand-written"].append(timed(lambda: hand_written_vectors(path, tokens)))
            rows["init zoo"].append(timed(lambda: initialize_from(target, source, "source")))
            rows["init hand-written"].append(timed(lambda: hand_written_init(target, source)))
        size_mb = path.stat().st_size / 1e6
    print(f"{args.words:,} words x {args.dim} dims ({size_mb:.0f} MB), vocabulary {len(tokens):,}; {args.reps} reps, "
          f"torch {torch.__version__}, threads {torch.get_num_threads()}")
    print("| case | median s | hand-written / zoo |\n|---|---|---|")
    for what in ("vectors", "init"):
        zoo_times, hand_times = rows[f"{what} zoo"], rows[f"{what} hand-written"]
        ratio = statistics.median(h / z for h, z in zip(hand_times, zoo_times))
        print(f"| {what}: zoo | {statistics.median(zoo_times):.3f} | {ratio:.2f}x faster |")
        print(f"| {what}: hand-written | {statistics.median(hand_times):.3f} | |")


if __name__ == "__main__":
    main()
