"""Does cost grow linearly with the work? Tokens/s of training and inference as sequences grow (50 to 3,200
tokens) for lstm-classifier and bilstm-tagger, beside the hand-written models; `zoo run -` time for 10k, 100k
and 1M lines. A table and a plot (docs/scaling.png).

    flock /tmp/zoo-heavy.lock .venv/bin/python bench/bench_linear.py [--reps 2] [--write-docs]

Each point trains (and predicts) about ``--tokens`` tokens in batches of 32, so a flat tokens/s row is linear cost.
Sizes as bench_families.py (the tagger without its char-CNN, all dropouts 0). Inference: ``model.predict`` on
texts of exactly that many words (tokenizing included) against the hand-written loop on the same weights.
`zoo run -`: fresh processes, stdin from a file of lines of 5-30 words, stdout to /dev/null, one run each.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import bench_families as families
import handwritten as hand
import torch

LENGTHS = [50, 200, 800, 3200]
BATCH = 32
PLOT = families.DOCS.parent / "scaling.png"
RUN_RESULTS = Path(__file__).resolve().parent.parent / "results" / "scaling" / "zoo_run.json"  # reused by --run-lines
MARKERS = ("<!-- bench_linear:start -->", "<!-- bench_linear:end -->")


def texts_of(length: int, count: int) -> list[str]:
    rng = random.Random(length)
    return [" ".join(rng.choice(families.WORDS) for _ in range(length)) for _ in range(count)]


def setups(length: int, tokens: int):
    """(name, zoo model, zoo train, hand train, zoo predict, hand predict) for one length."""
    count = max(1, round(tokens / (BATCH * length))) * BATCH
    examples, tensors = families.classify_data(length, count)
    classifier = families.zoo_classifier("lstm-classifier", False, BATCH)
    hand_classifier = hand.HandClassifier("lstm", False, "last", families.VOCAB, families.EMBED, families.HIDDEN,
                                          families.CLASSES)
    classifier_optimizer = torch.optim.AdamW(hand_classifier.parameters(), lr=1e-3)
    index = {w: i for i, w in enumerate(classifier.vocabs["tokens"].tokens)}
    inference_classifier = hand.classifier_from_zoo(classifier, "lstm")
    encoded, tag_tensors = families.tag_data(length, count, batch=BATCH)
    tagger = families.zoo_tagger("bilstm-tagger", BATCH)
    hand_tagger = hand.HandTagger(families.VOCAB, families.TAG_EMBED, families.TAG_HIDDEN, len(families.TAGS), crf=False)
    tagger_optimizer = torch.optim.AdamW(hand_tagger.parameters(), lr=1e-3)
    inference_tagger = hand.tagger_from_zoo(tagger)
    texts = texts_of(length, count)
    labels = classifier.vocabs["labels"].tokens
    return [
        ("lstm-classifier", lambda: families.zoo_train(classifier, examples),
         lambda: hand.train_epoch(hand_classifier, classifier_optimizer, tensors, hand.classifier_loss),
         lambda: classifier.predict(texts, batch_size=BATCH),
         lambda: hand.classify_lines(inference_classifier, index, labels, texts, BATCH)),
        ("bilstm-tagger", lambda: families.zoo_train(tagger, encoded),
         lambda: hand.train_epoch(hand_tagger, tagger_optimizer, tag_tensors, hand.tagger_loss),
         lambda: tagger.predict(texts, batch_size=BATCH),
         lambda: hand.tag_lines(inference_tagger, index, families.TAGS, texts, BATCH)),
    ], count


def bench_lengths(reps: int, tokens: int, lengths: list[int]) -> list[dict]:
    rows = []
    for length in lengths:
        cases, count = setups(length, tokens)
        for name, *runs in cases:
            for run in runs:  # warm-up: oneDNN builds its kernels for each shape on first use
                run()
            seconds: list[list[float]] = [[] for _ in runs]
            for rep in range(reps):
                for i, run in enumerate(runs if rep % 2 == 0 else runs[::-1]):
                    index = i if rep % 2 == 0 else len(runs) - 1 - i
                    start = time.perf_counter()
                    run()
                    seconds[index].append(time.perf_counter() - start)
            rate = [count * length / statistics.median(s) for s in seconds]
            rows.append({"model": name, "length": length, "sequences": count, "zoo_train": rate[0],
                         "hand_train": rate[1], "zoo_predict": rate[2], "hand_predict": rate[3]})
        print(f"  length {length} done", file=sys.stderr, flush=True)
    return rows


def bench_run(counts: list[int]) -> list[dict]:
    folder = Path(tempfile.mkdtemp(prefix="bench-linear-"))
    env = {**os.environ, "ZOO_HOME": str(folder / "home")}
    os.environ["ZOO_HOME"] = env["ZOO_HOME"]
    families.zoo_classifier("lstm-classifier", False).save("bench-linear")
    command = [str(Path(sys.executable).parent / "zoo"), "run", "bench-linear", "-"]
    rows = []
    for count in [1, *counts]:
        path = folder / f"{count}.txt"
        path.write_text("\n".join(families.lines(count)) + "\n")
        seconds = families.timed(command, path, env)
        rows.append({"lines": count, "seconds": seconds})
        path.unlink()
    start_up = rows[0]["seconds"]
    for row in rows:
        row["per_line_ms"] = (row["seconds"] - start_up) / row["lines"] * 1000 if row["lines"] > 1 else None
    RUN_RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RUN_RESULTS.write_text(json.dumps({"measured": datetime.now(timezone.utc).isoformat(), "rows": rows}, indent=1))
    return rows


def length_table(rows: list[dict]) -> str:
    out = ["| model | length | sequences | train zoo tok/s | train hand tok/s | train ratio | predict zoo tok/s | "
           "predict hand tok/s | predict ratio |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| {r['model']} | {r['length']:,} | {r['sequences']} | {r['zoo_train']:,.0f} | {r['hand_train']:,.0f} | "
                   f"{r['zoo_train'] / r['hand_train']:.3f}x | {r['zoo_predict']:,.0f} | {r['hand_predict']:,.0f} | "
                   f"{r['zoo_predict'] / r['hand_predict']:.3f}x |")
    return "\n".join(out)


def run_table(rows: list[dict]) -> str:
    out = ["| lines | seconds | ms a line after start-up | lines/s after start-up |", "|---|---|---|---|"]
    for r in rows:
        per = r["per_line_ms"]
        out.append(f"| {r['lines']:,} | {r['seconds']:.1f} | {'-' if per is None else f'{per:.3f}'} | "
                   f"{'-' if per is None else f'{1000 / per:,.0f}'} |")
    return "\n".join(out)


def plot(length_rows: list[dict], run_rows: list[dict]) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for model, color in (("lstm-classifier", "tab:blue"), ("bilstm-tagger", "tab:orange")):
        rows = [r for r in length_rows if r["model"] == model]
        lengths = [r["length"] for r in rows]
        for key, style, label in (("zoo_train", "-o", "train, zoo"), ("hand_train", ":o", "train, hand-written"),
                                  ("zoo_predict", "-s", "predict, zoo"), ("hand_predict", ":s", "predict, hand-written")):
            left.plot(lengths, [r[key] for r in rows], style, color=color, label=f"{model} {label}",
                      alpha=1.0 if "zoo" in key else 0.6)
    left.set(xscale="log", yscale="log", xlabel="sequence length (tokens)", ylabel="tokens/s",
             title="Tokens/s as sequences grow (flat = linear cost)")
    left.legend(fontsize=6)
    counted = [r for r in run_rows if r["lines"] > 1]
    right.plot([r["lines"] for r in counted], [r["seconds"] for r in counted], "-o", label="zoo run - (measured)")
    per = counted[-1]["per_line_ms"] / 1000
    right.plot([r["lines"] for r in counted], [run_rows[0]["seconds"] + per * r["lines"] for r in counted], ":",
               label="start-up + lines x the largest run's cost a line")
    right.set(xscale="log", yscale="log", xlabel="lines", ylabel="seconds", title="`zoo run -` (lstm-classifier)")
    right.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(PLOT, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--tokens", type=int, default=100_000, help="tokens a point and rep")
    parser.add_argument("--lengths", type=int, nargs="+", default=LENGTHS)
    parser.add_argument("--run-lines", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    started = datetime.now(timezone.utc)
    length_rows = bench_lengths(args.reps, args.tokens, args.lengths)
    print(length_table(length_rows), flush=True)
    # `--run-lines` with no counts: the tokens/s part only, with the last measured `zoo run -` rows beside it.
    earlier = json.loads(RUN_RESULTS.read_text()) if not args.run_lines and RUN_RESULTS.exists() else None
    run_rows = bench_run(args.run_lines) if args.run_lines else earlier["rows"] if earlier else []
    if run_rows:
        print(run_table(run_rows), flush=True)
        plot(length_rows, run_rows)
    seconds = (datetime.now(timezone.utc) - started).total_seconds()
    text = (f"Measured {started:%Y-%m-%d %H:%M} UTC, torch {torch.__version__}, {torch.get_num_threads()} threads, "
            f"load average at start {os.getloadavg()[0]:.1f}, {seconds / 60:.1f} minutes; command:\n\n```\n"
            f"flock /tmp/zoo-heavy.lock .venv/bin/python bench/bench_linear.py {' '.join(sys.argv[1:])}\n```\n\n"
            f"Tokens/s ({args.reps} interleaved reps, medians; about {args.tokens:,} tokens a point, batches of {BATCH}):"
            f"\n\n{length_table(length_rows)}")
    if run_rows:
        when = f" (measured {earlier['measured'][:16]} UTC, an earlier run)" if earlier else ""
        text += f"\n\n`zoo run bench-linear -` (lstm-classifier), one run each{when}:\n\n{run_table(run_rows)}\n\n![scaling](scaling.png)"
    if args.write_docs:
        families.write_docs(text, MARKERS)


if __name__ == "__main__":
    main()
