"""Scale benchmark: training tokens/s in 1 process against 2 (DistributedDataParallel, gloo) on this
machine, beside a hand-written PyTorch DDP loop; and the peak memory of streaming a generated 100 MB
corpus against loading it whole.

Throughput: `lstm-classifier` sizes as bench_classifier.py (vocab 10k, embedding 128, hidden 256,
length 50), the same global batch of 64 everywhere (one process: 64; two: 32 each). The zoo side runs
its real trainer (`zoo_core.training.loop.fit` with a ProcessGroup, as `zoo train --nproc-per-node 2`
does); the baseline is nn.LSTM in DistributedDataParallel over ready-made tensors.

Memory: `zoo train word-lstm-lm` on the generated corpus, with and without --stream, each in its own
process; the peak resident set size is the child's ru_maxrss.

    flock /tmp/zoo-heavy.lock .venv/bin/python bench/bench_scale.py [--reps 3] [--batches 40] [--corpus-mb 100]
"""
from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_classifier import CLASSES, EMBED, HIDDEN, LENGTH, VOCAB  # the same model sizes

GLOBAL_BATCH = 64


def examples(count: int) -> list[tuple[list[int], int]]:
    rng = random.Random(0)
    return [([rng.randrange(2, VOCAB) for _ in range(LENGTH)], rng.randrange(CLASSES)) for _ in range(count)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def zoo_worker(rank: int, world: int, port: int, batches: int, threads: int, results, precision: str = "fp32") -> None:
    """One process of the zoo's data-parallel training: the trainer `zoo train` runs."""
    import torch
    import torch.distributed as dist

    import zoo_core
    from zoo_core.training.distributed import ProcessGroup
    from zoo_core.training.loop import fit

    torch.set_num_threads(threads)
    if world > 1:
        dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world)
    data = examples(batches * GLOBAL_BATCH)
    model = zoo_core.create_model("lstm-classifier", vocab=VOCAB, num_classes=CLASSES, embedding__dim=EMBED,
                                  encoder__hidden_size=HIDDEN, training={"epochs": 1, "batch_size": GLOBAL_BATCH // world,
                                                                         "clip_norm": 5.0, "bucket": False,
                                                                         "precision": precision})
    group = ProcessGroup(rank, world, rank)
    fit(model, data[: GLOBAL_BATCH * 3], [], progress=False, group=group)  # warm-up
    start = time.perf_counter()
    fit(model, data, [], progress=False, group=group)
    if rank == 0:
        results.put(len(data) * LENGTH / (time.perf_counter() - start))
    if world > 1:
        dist.destroy_process_group()


def hand_written_worker(rank: int, world: int, port: int, batches: int, threads: int, results, precision="fp32") -> None:
    """The same model and global batch in plain PyTorch: bench_classifier.py's model and loop
    (nn.LSTM, AdamW, clipping), wrapped in DDP."""
    import torch
    import torch.distributed as dist
    from bench_classifier import HandWritten, baseline_epoch
    from torch import nn

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = HandWritten()
    if world > 1:
        dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world)
        model = nn.parallel.DistributedDataParallel(model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    data = examples(batches * GLOBAL_BATCH)
    per_process = GLOBAL_BATCH // world
    mine = [data[i:i + per_process] for i in range(rank * per_process, len(data), GLOBAL_BATCH)]
    tensors = [(torch.tensor([e[0] for e in b]), torch.tensor([e[1] for e in b])) for b in mine]
    baseline_epoch(model, optimizer, tensors[:3])  # warm-up
    start = time.perf_counter()
    baseline_epoch(model, optimizer, tensors)
    if rank == 0:
        results.put(len(data) * LENGTH / (time.perf_counter() - start))
    if world > 1:
        dist.destroy_process_group()


def measure(worker, world: int, batches: int, threads: int, precision: str = "fp32") -> float:
    import torch.multiprocessing as mp

    results = mp.get_context("spawn").SimpleQueue()
    mp.spawn(worker, args=(world, free_port(), batches, threads, results, precision), nprocs=world, join=True)
    return results.get()


def throughput_table(reps: int, batches: int) -> str:
    cores = os.cpu_count() or 1
    cases = [("zoo, 1 process x 2 threads", zoo_worker, 1, 2, "fp32"), ("zoo, 1 process x 1 thread", zoo_worker, 1, 1, "fp32"),
             ("zoo, 2 processes x 1 thread (DDP)", zoo_worker, 2, 1, "fp32"),
             ("hand-written, 1 process x 2 threads", hand_written_worker, 1, 2, "fp32"),
             ("hand-written, 2 processes x 1 thread (DDP)", hand_written_worker, 2, 1, "fp32"),
             ("zoo, 1 process x 2 threads, --precision bf16", zoo_worker, 1, 2, "bf16")]
    rates: dict[str, list[float]] = {name: [] for name, *_ in cases}
    for _ in range(reps):  # interleaved, so a slow moment of the machine hits every case alike
        for name, worker, world, threads, precision in cases:
            rates[name].append(measure(worker, world, batches, threads, precision))
            print(f"  {name}: {rates[name][-1]:,.0f} tok/s", file=sys.stderr, flush=True)
    median = {name: statistics.median(values) for name, values in rates.items()}
    lines = [f"{cores} cores; global batch {GLOBAL_BATCH}, {batches} batches of length {LENGTH}, {reps} reps "
             "(median, min-max)", "", "| case | train tokens/s |", "|---|---|"]
    lines += [f"| {name} | {median[name]:,.0f} ({min(v):,.0f}-{max(v):,.0f}) |" for name, v in rates.items()]
    lines += ["", "| ratio | value |", "|---|---|",
              f"| zoo 2 processes / zoo 1 process x 2 threads | "
              f"{median['zoo, 2 processes x 1 thread (DDP)'] / median['zoo, 1 process x 2 threads']:.2f}x |",
              f"| zoo 2 processes / zoo 1 process x 1 thread | "
              f"{median['zoo, 2 processes x 1 thread (DDP)'] / median['zoo, 1 process x 1 thread']:.2f}x |",
              f"| zoo DDP / hand-written DDP (2 processes) | "
              f"{median['zoo, 2 processes x 1 thread (DDP)'] / median['hand-written, 2 processes x 1 thread (DDP)']:.3f}x |",
              f"| zoo / hand-written (1 process x 2 threads) | "
              f"{median['zoo, 1 process x 2 threads'] / median['hand-written, 1 process x 2 threads']:.3f}x |",
              f"| zoo bf16 / zoo fp32 (1 process x 2 threads) | "
              f"{median['zoo, 1 process x 2 threads, --precision bf16'] / median['zoo, 1 process x 2 threads']:.2f}x |"]
    return "\n".join(lines)


def write_corpus(path: Path, megabytes: float, seed: int) -> None:
    """Sentences of Zipf-distributed words from a 50,000-word vocabulary, ``megabytes`` of them."""
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = ["".join(rng.choice(letters) for _ in range(rng.randint(2, 9))) for _ in range(50_000)]
    weights = [1 / (rank + 1) for rank in range(len(words))]
    cumulative, total = [], 0.0
    for weight in weights:
        total += weight
        cumulative.append(total)
    target, written = int(megabytes * 1e6), 0
    with path.open("w", encoding="ascii") as handle:
        while written < target:
            sentences = [" ".join(rng.choices(words, cum_weights=cumulative, k=rng.randint(5, 20))) + " .\n"
                         for _ in range(2000)]
            block = "".join(sentences)
            handle.write(block)
            written += len(block)


def peak_memory(command: list[str], env: dict) -> tuple[float, float, int]:
    """Peak RSS (MB) and wall seconds of ``command``, measured from a wrapper process of its own."""
    wrapper = ("import resource, subprocess, sys, time; start = time.perf_counter(); "
               "code = subprocess.run(sys.argv[1:]).returncode; "
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, time.perf_counter() - start, code)")
    out = subprocess.run([sys.executable, "-c", wrapper, *command], env=env, capture_output=True, text=True, check=True)
    rss, seconds, code = out.stdout.split()[-3:]
    return float(rss), float(seconds), int(code)


def memory_table(corpus_mb: float, minutes: float) -> str:
    zoo = str(Path(sys.executable).parent / "zoo")
    with tempfile.TemporaryDirectory() as work:
        corpus, valid = Path(work) / "corpus.txt", Path(work) / "valid.txt"
        write_corpus(corpus, corpus_mb, seed=1)
        write_corpus(valid, 0.2, seed=2)
        size = corpus.stat().st_size / 1e6
        env = {**os.environ, "ZOO_HOME": str(Path(work) / "home")}
        base = [zoo, "train", "word-lstm-lm", "--data", str(corpus), "--valid", str(valid), "--epochs", "1",
                "--set", f"training.max_minutes={minutes}", "--set", f"data.max_corpus_mb={int(size) + 10}",
                "--set", "tokenizer.max_size=20000", "--quiet"]
        rows = []
        for name, extra in (("loaded whole", []), ("streamed (--stream)", ["--stream"])):
            rss, seconds, code = peak_memory(base + extra, env)
            print(f"  {name}: {rss:,.0f} MB peak, {seconds:.0f} s, exit {code}", file=sys.stderr, flush=True)
            rows.append((name, rss, seconds, code))
    lines = [f"`zoo train word-lstm-lm` on a generated {size:.0f} MB corpus (Zipf words, 50,000-word vocabulary, "
             f"kept 20,000), {minutes:g} minutes of training, separate 0.2 MB --valid file", "",
             "| data | peak resident memory | wall time | exit |", "|---|---|---|---|"]
    lines += [f"| {name} | {rss:,.0f} MB | {seconds:.0f} s | {code} |" for name, rss, seconds, code in rows]
    lines += ["", f"Streaming needs {rows[0][1] / rows[1][1]:.1f}x less memory."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--batches", type=int, default=40, help="global batches per timed epoch")
    parser.add_argument("--corpus-mb", type=float, default=100.0)
    parser.add_argument("--minutes", type=float, default=0.25, help="training time of each memory run")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    args = parser.parse_args()
    import torch

    print(f"torch {torch.__version__}")
    if not args.skip_throughput:
        print(throughput_table(args.reps, args.batches), flush=True)
    if not args.skip_memory:
        print()
        print(memory_table(args.corpus_mb, args.minutes))


if __name__ == "__main__":
    main()
