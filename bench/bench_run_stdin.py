"""`zoo run MODEL -` throughput on 100,000 lines (a classifier and a tagger) against a hand-written batched
loop over the same saved model: read stdin, batches of 64, encode, pad, forward, argmax, print.

    flock /tmp/zoo-heavy.lock .venv/bin/python bench/bench_run_stdin.py --lines 100000 --reps 2

Both run as fresh processes with stdin from a file and stdout to /dev/null, one thread (OMP_NUM_THREADS=1),
interleaved rep by rep; medians. The seconds include start-up and loading (about 2 s), so they are also given
for a 1-line input, and the lines/s are computed on the difference.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BATCH = 64


def write_lines(path: Path, count: int, words: list[str], seed: int = 0) -> None:
    rng = random.Random(seed)
    with open(path, "w") as out:
        for _ in range(count):
            out.write(" ".join(rng.choice(words) for _ in range(rng.randint(5, 30))) + "\n")


def make_models(home: Path) -> list[str]:
    import zoo_core as zoo
    from zoo_core.data.vocab import Vocab

    words = [f"w{i}" for i in range(9998)]
    os.environ["ZOO_HOME"] = str(home)
    zoo.create_model("lstm-classifier", vocab=["<pad>", "<unk>", *words], num_classes=2).save("bench-classifier")
    vocabs = {"tokens": Vocab(["<pad>", "<unk>", *words]), "labels": Vocab(["B-NP", "I-NP", "O", "B-VP"]),
              "chars": Vocab(["<pad>", "<unk>", "w", *"0123456789"])}
    zoo.create_model("bilstm-tagger", vocabs=vocabs).save("bench-tagger")
    return words


def baseline(model_name: str) -> None:
    """The hand-written loop (run in its own process by the benchmark)."""
    import torch

    import zoo_core as zoo
    from zoo_core.data.vocab import tokenize
    from zoo_core.modeling.batching import pad

    torch.set_num_threads(1)
    model = zoo.load(model_name)
    task, out = model.task, sys.stdout
    labels = model.vocabs["labels"].tokens

    def flush(batch: list[str]) -> None:
        with torch.inference_mode():
            if model.config.task == "classify":
                ids = [model.vocabs["tokens"].encode(tokenize(t, "word", True)) or [1] for t in batch]
                tokens, lengths = pad(ids, model.device)
                logits, _ = model({"tokens": tokens, "lengths": lengths})
                for text, best in zip(batch, logits.softmax(-1).argmax(-1).tolist()):
                    out.write(f"{labels[best]}\t{text}\n")
            else:
                from zoo_bidirectional.tag_task import EncodedSentence, split_words

                sentences = [split_words(t) for t in batch]
                encoded = [EncodedSentence(*task.encode_words(s, model.vocabs), [], (), tuple(s)) for s in sentences]
                batch_dict = task._batch(encoded, model.device)
                logits, _ = model(batch_dict)
                for words, row in zip(sentences, model.head.decode(logits, batch_dict["lengths"])):
                    out.write("\n".join(f"{w}  {labels[i]}" for w, i in zip(words, row)) + "\n\n")
        out.flush()

    batch: list[str] = []
    for line in sys.stdin:
        batch.append(line.rstrip("\n"))
        if len(batch) == BATCH:
            flush(batch)
            batch = []
    if batch:
        flush(batch)


def timed(command: list[str], stdin: Path, env: dict) -> float:
    start = time.perf_counter()
    with open(stdin) as source, open(os.devnull, "w") as sink:
        subprocess.run(command, stdin=source, stdout=sink, env=env, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--baseline", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline:
        return baseline(args.baseline)
    folder = Path(tempfile.mkdtemp(prefix="bench-run-"))
    words = make_models(folder / "home")
    big, one = folder / "lines.txt", folder / "one.txt"
    write_lines(big, args.lines, words)
    write_lines(one, 1, words)
    env = {**os.environ, "ZOO_HOME": str(folder / "home"), "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    zoo = str(Path(sys.executable).parent / "zoo")
    results = []
    for model in ("bench-classifier", "bench-tagger"):
        commands = {"zoo run -": [zoo, "run", model, "-"],
                    "hand-written batched loop": [sys.executable, __file__, "--baseline", model]}
        seconds: dict[str, list[float]] = {name: [] for name in commands}
        startup: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.reps):
            for name, command in commands.items():
                startup[name].append(timed(command, one, env))
                seconds[name].append(timed(command, big, env))
        rates = {name: args.lines / (statistics.median(seconds[name]) - statistics.median(startup[name]))
                 for name in commands}
        results.append((model, seconds, startup, rates))
    print(f"{args.lines:,} lines of 5-30 words, batches of {BATCH}, 1 thread, {args.reps} interleaved reps, medians")
    print("\n| model | case | seconds (100k lines) | seconds (1 line) | lines/s after start-up |\n|---|---|---|---|---|")
    for model, seconds, startup, rates in results:
        for name in seconds:
            print(f"| {model} | {name} | {statistics.median(seconds[name]):.1f} | {statistics.median(startup[name]):.1f} "
                  f"| **{rates[name]:,.0f}** |")
    for model, _, _, rates in results:
        print(f"\n{model}: zoo run / hand-written = **{rates['zoo run -'] / rates['hand-written batched loop']:.2f}x**")


if __name__ == "__main__":
    main()
