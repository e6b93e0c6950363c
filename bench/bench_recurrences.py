"""Training speed of the modern recurrences (zoo-modern) against torch's nn.GRU and nn.LSTM, in one run;
then generation tokens/s of each char LM preset against char-lstm-lm.

    flock /tmp/zoo-heavy.lock .venv/bin/python bench/bench_recurrences.py --json results/modern/speed.json

The quality table (char LMs and classifiers at an equal budget) is bench/modern_quality.py's.

Training: one layer, input and hidden 256, batch 32, T = 128, 512, 2048; one step is a forward and a
backward pass of a loss on every state (what training costs); tokens/s = batch x T / time. Cases run
interleaved, rep by rep, so a busy machine slows them alike; medians are reported, with each case's
ratio to nn.GRU (median of the per-rep ratios); one warm-up step per case, except at T >= 2048 (warm from
the shorter lengths; it would double the longest part). mingru also runs with each path forced
(mode=fused, sequential, chunked, scan) next to auto, and minlstm and qrnn with their torch loops (sequential). Each
path's largest difference from the sequential one is printed per T (the log-space scan's grows with T).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import torch
from torch import nn

import zoo_core as zoo
from zoo_core.plugin import Vocab
from zoo_core.testing import registry

HIDDEN, BATCH = 256, 32
ENCODERS = ["mingru", "minlstm", "mlstm", "slstm", "rwkv", "lru", "qrnn", "sru", "indrnn"]
# mingru with each path forced (auto is `fused` with numba on CPU, else `sequential`); minlstm's and qrnn's
# torch loops
PATHS = [*(("mingru", mode) for mode in ("fused", "sequential", "chunked", "scan")), ("minlstm", "sequential"),
         ("qrnn", "sequential")]


class Torch(nn.Module):
    """nn.GRU / nn.LSTM with the encoders' call shape."""

    def __init__(self, layer):
        super().__init__()
        self.rnn = layer(HIDDEN, HIDDEN, batch_first=True)

    def forward(self, inputs, lengths):
        return self.rnn(inputs)[0]


def zoo_encoder(name: str, **settings):
    config = registry().validate_component("encoder", {"type": name, "hidden_size": HIDDEN, **settings}, "encoder")
    encoder = registry().component("encoder", name).load()(config, input_dim=HIDDEN)
    return lambda inputs, lengths: encoder(inputs, lengths).states, encoder


def cases() -> dict:
    built = {"nn.GRU": Torch(nn.GRU), "nn.LSTM": Torch(nn.LSTM)}
    runs = {name: (lambda module: (lambda x, n: module(x, n)))(module) for name, module in built.items()}
    for name in ENCODERS:
        runs[name], built[name] = zoo_encoder(name)
    for name, mode in PATHS:
        label = f"{name} [{mode}]"
        runs[label], built[label] = zoo_encoder(name, mode=mode)
    return runs, built


def step_seconds(run, inputs, lengths, weights) -> float:
    start = time.perf_counter()
    states = run(inputs, lengths)
    (states * weights).sum().backward()
    return time.perf_counter() - start


def bench_training(lengths_to_run, reps: dict, only=None, long_only=None, done=None) -> dict:
    """Per T: each case's tokens/s and ratios; ``done(results)`` after each T (the JSON is written then)."""
    all_runs, built = cases()
    if only:
        all_runs = {name: run for name, run in all_runs.items() if name in only or name in ("nn.GRU", "nn.LSTM")}
    results = {}
    for time_steps in lengths_to_run:
        runs = all_runs
        if long_only and time_steps >= 2048:
            runs = {name: run for name, run in all_runs.items() if name in long_only or name in ("nn.GRU", "nn.LSTM")}
        generator = torch.Generator().manual_seed(time_steps)
        inputs = torch.randn(BATCH, time_steps, HIDDEN, generator=generator).requires_grad_()
        weights = torch.randn(BATCH, time_steps, HIDDEN, generator=generator)
        lengths = torch.full((BATCH,), time_steps)
        seconds = {name: [] for name in runs}
        for name, run in runs.items():  # warm-up
            if time_steps < 2048:
                step_seconds(run, inputs, lengths, weights)
        for rep in range(reps[time_steps]):
            for name, run in runs.items():
                for module in built.values():
                    module.zero_grad(set_to_none=True)
                seconds[name].append(step_seconds(run, inputs, lengths, weights))
                print(f"  T={time_steps} rep {rep + 1}/{reps[time_steps]} {name}: {seconds[name][-1]:.2f} s",
                      file=sys.stderr, flush=True)
        tokens = BATCH * time_steps
        results[time_steps] = {
            name: {"tokens_per_s": tokens / statistics.median(times),
                   "min_tokens_per_s": tokens / max(times), "max_tokens_per_s": tokens / min(times),
                   "vs_gru": statistics.median(g / t for g, t in zip(seconds["nn.GRU"], times)),
                   "vs_lstm": statistics.median(g / t for g, t in zip(seconds["nn.LSTM"], times))}
            for name, times in seconds.items()}
        with torch.no_grad():
            compared = [mode for mode in ("fused", "chunked", "scan") if f"mingru [{mode}]" in runs]
            if compared and "mingru [sequential]" in runs:
                sequential = built["mingru [sequential]"]
                for mode in compared:
                    built[f"mingru [{mode}]"].load_state_dict(sequential.state_dict())
                reference = sequential(inputs, lengths).states
                results[time_steps]["_scan_error"] = {
                    mode: float((built[f"mingru [{mode}]"](inputs, lengths).states - reference).abs().max())
                    for mode in compared}
        if done:
            done(results)
    return results


def bench_generation(tokens: int, reps: int) -> dict:
    vocab = Vocab(["<pad>", "<unk>", "<s>", *[chr(c) for c in range(33, 33 + 62)]])
    models = {name: zoo.create_model(name, vocab=vocab).eval()
              for name in ["char-lstm-lm", *[f"char-{encoder}-lm" for encoder in ENCODERS]]}
    rates = {name: [] for name in models}
    for _ in range(reps):
        for name, model in models.items():
            start = time.perf_counter()
            produced = sum(1 for _ in model.generate("ROMEO:", max_tokens=tokens, sampler="greedy"))
            rates[name].append(produced / (time.perf_counter() - start))
    return {name: {"tokens_per_s": statistics.median(values),
                   "vs_lstm": statistics.median(v / b for v, b in zip(values, rates["char-lstm-lm"]))}
            for name, values in rates.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", default="128,512,2048", help="sequence lengths T, comma-separated")
    parser.add_argument("--reps", type=int, default=3, help="repetitions per case (T=2048: --long-reps)")
    parser.add_argument("--long-reps", type=int, default=2, help="repetitions at T >= 2048")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1: the machine is shared)")
    parser.add_argument("--only", help="encoders to run (comma-separated), with nn.GRU and nn.LSTM")
    parser.add_argument("--long-only", help="at T >= 2048 run only these cases (comma-separated; labels as in "
                        "the table), with nn.GRU and nn.LSTM: the longest length is the slowest part")
    parser.add_argument("--generation-tokens", type=int, default=200, help="0 skips the generation part")
    parser.add_argument("--json", help="write the numbers here as well")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    lengths = [int(value) for value in args.lengths.split(",")]
    reps = {t: (args.long_reps if t >= 2048 else args.reps) for t in lengths}
    only = set(args.only.split(",")) if args.only else None
    long_only = set(args.long_only.split(",")) if args.long_only else None
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    record = {"started": started, "threads": args.threads, "hidden": HIDDEN, "batch": BATCH,
              "reps": {str(t): n for t, n in reps.items()}, "command": " ".join(sys.argv), "training": {},
              "generation": {}}

    def save(training):
        if args.json:
            record["training"] = {str(t): row for t, row in training.items()}
            temporary = args.json + ".tmp"
            with open(temporary, "w") as handle:
                json.dump(record, handle, indent=1)
            os.replace(temporary, args.json)

    training = bench_training(lengths, reps, only, long_only, save)
    print(f"Training tokens/s (forward + backward), hidden {HIDDEN}, batch {BATCH}, {args.threads} thread(s); "
          f"median of {args.reps} reps ({args.long_reps} at T=2048); ratio = median of per-rep ratios")
    names = [name for name in training[lengths[0]] if not name.startswith("_")]
    print("| encoder | " + " | ".join(f"T={t} tok/s | x GRU | x LSTM" for t in lengths) + " |")
    print("|---|" + "---|---|---|" * len(lengths))
    for name in names:
        cells = [f"{training[t][name]['tokens_per_s']:,.0f} | {training[t][name]['vs_gru']:.2f} | "
                 f"{training[t][name]['vs_lstm']:.2f}" if name in training[t] else "- | - | -" for t in lengths]
        print(f"| {name} | " + " | ".join(cells) + " |")
    for t in lengths:
        if "_scan_error" in training[t]:
            errors = training[t]["_scan_error"]
            print(f"T={t}: mingru max |path - sequential|: "
                  + ", ".join(f"{mode} {error:.2e}" for mode, error in errors.items()))
    generation = bench_generation(args.generation_tokens, 3) if args.generation_tokens else {}
    if generation:
        print(f"\nGeneration tokens/s (greedy, {args.generation_tokens} tokens after 'ROMEO:', presets' sizes, "
              "untrained, median of 3)")
        print("| model | tokens/s | x char-lstm-lm |\n|---|---|---|")
        for name, row in generation.items():
            print(f"| {name} | {row['tokens_per_s']:,.0f} | {row['vs_lstm']:.2f} |")
    record["generation"] = generation
    save(training)


if __name__ == "__main__":
    main()
