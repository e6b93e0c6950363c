"""What the format-2 checksums cost: sealing at save and verifying at load, for a typical model.

    .venv/bin/python bench/bench_checksums.py [--vocab 10000] [--repeats 7]

Interleaved repetitions, medians: save with and without `seal`, load with and without `verify_weights` (the
header checksum is computed either way: it is one small JSON document)."""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from unittest import mock

import torch

import zoo_core as zoo
from zoo_core.io import artifacts
from zoo_core.modeling import loading, saving


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--vocab", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    torch.set_num_threads(1)
    model = zoo.create_model("lstm-classifier", vocab=args.vocab, num_classes=2)
    folder = Path(tempfile.mkdtemp())
    path = folder / "typical.safetensors"
    times: dict[str, list[float]] = {k: [] for k in ("save", "save, no seal", "load", "load, no weights hash",
                                                      "seal alone", "weights hash alone")}
    model.save(path)
    for _ in range(args.repeats):
        times["save"].append(timed(lambda: model.save(path)))
        with mock.patch.object(saving, "seal", lambda temporary: None):
            times["save, no seal"].append(timed(lambda: model.save(folder / "plain.safetensors")))
        times["load"].append(timed(lambda: zoo.load(str(path))))
        with mock.patch.object(loading, "verify_weights", lambda *a, **k: None):
            times["load, no weights hash"].append(timed(lambda: zoo.load(str(path))))
        times["seal alone"].append(timed(lambda: artifacts.seal(path)))
        header, start, _ = artifacts.read_checked_header(path)
        times["weights hash alone"].append(timed(lambda: artifacts.data_digest(path, start)))
    size = path.stat().st_size
    print(f"lstm-classifier, vocab {args.vocab:,}: {model.num_parameters():,} parameters, file {size / 1e6:.1f} MB, "
          f"{args.repeats} interleaved repetitions, 1 thread, medians")
    print(f"{'step':<24}{'ms':>9}")
    for name, values in times.items():
        print(f"{name:<24}{statistics.median(values) * 1e3:>9.1f}")


if __name__ == "__main__":
    main()
