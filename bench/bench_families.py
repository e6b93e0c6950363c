"""Every first-party classifier family and a BiLSTM-CRF tagger through the zoo against hand-written PyTorch.

    flock /tmp/zoo-heavy.lock .venv/bin/python bench/bench_families.py [--reps 3] [--write-docs]

Training: each classifier family (rnn, lstm, gru, bilstm, bigru, and the pooling presets) at each length, and
bilstm-crf-tagger against bench/handwritten.py's models (the same sizes: vocab 10k, embedding 128, hidden 256;
the tagger: embedding 100, hidden 128, 17 tags, no char-CNN; all dropouts 0; AdamW; clipping 5; batch 32, the
tagger 64). The zoo side runs its real trainer (`zoo_core.training.loop.fit`) over encoded examples of one length
(bucketing then gives batches with no padding, as the hand-written side's ready-made tensors have none).
A repetition trains about ``--tokens`` tokens per case (at least 3 batches), so longer sequences get fewer
batches. Repetitions are interleaved (the order of the two sides alternates) and the ratio is the median of
per-repetition ratios.

Inference: ``model.predict`` against a hand-written batched no_grad loop on the same weights, over lines of
5 to 30 words (in-process), and `zoo run MODEL -` against a hand-written stdin loop (fresh processes, stdin from a
file; lines/s after subtracting a 1-line run). Peak memory: the peak resident set size of a fresh process doing
one side's training or inference (VmHWM).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import handwritten as hand
import torch
from docs_section import replace_section

VOCAB, EMBED, HIDDEN, CLASSES, BATCH = 10_000, 128, 256, 2, 32
TAG_EMBED, TAG_HIDDEN, TAG_BATCH = 100, 128, 64
TAGS = ["O", *[f"{p}-{kind}" for kind in ("NP", "VP", "PP", "ADJP", "ADVP", "SBAR", "PRT", "CONJP") for p in "BI"]]
# (architecture, cell, bidirectional, pooling): every first-party classifier family
FAMILIES = [
    ("rnn-classifier", "rnn", False, "last"),
    ("lstm-classifier", "lstm", False, "last"),
    ("gru-classifier", "gru", False, "last"),
    ("bilstm-classifier", "lstm", True, "last"),
    ("bigru-classifier", "gru", True, "last"),
    ("lstm-concat-classifier", "lstm", False, "concat"),
    ("bilstm-max-classifier", "lstm", True, "max"),
    ("bilstm-attn-classifier", "lstm", True, "attention"),
    ("bigru-mean-classifier", "gru", True, "mean"),
]
WORDS = [f"w{i}" for i in range(VOCAB - 2)]
DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
MARKERS = ("<!-- bench_families:start -->", "<!-- bench_families:end -->")


# --- models and data -----------------------------------------------------------------------------------------

def zoo_classifier(architecture: str, bidirectional: bool, batch: int = BATCH):
    import zoo_core
    from zoo_core.data.vocab import Vocab
    return zoo_core.create_model(
        architecture, vocab=Vocab(["<pad>", "<unk>", *WORDS]), num_classes=CLASSES,
        embedding={"dim": EMBED, "dropout": 0.0}, head={"dropout": 0.0}, data={"max_length": 100_000},  # no cut
        encoder={"hidden_size": HIDDEN, "bidirectional": bidirectional, "dropout": 0.0},
        training={"epochs": 1, "batch_size": batch, "clip_norm": 5.0})


def tag_vocabs():
    from zoo_core.data.vocab import Vocab
    return {"tokens": Vocab(["<pad>", "<unk>", *WORDS]), "labels": Vocab(TAGS)}


def zoo_tagger(architecture: str = "bilstm-crf-tagger", batch: int = TAG_BATCH):
    import zoo_core
    return zoo_core.create_model(
        architecture, vocabs=tag_vocabs(), embedding={"dim": TAG_EMBED, "dropout": 0.0},
        encoder={"hidden_size": TAG_HIDDEN, "dropout": 0.0}, data={"chars": {"dim": 0}, "word_dropout": 0.0},
        training={"epochs": 1, "batch_size": batch, "clip_norm": 5.0})


def batches_for(length: int, batch: int, tokens: int) -> int:
    return max(3, round(tokens / (batch * length)))


def classify_data(length: int, count: int, seed: int = 0):
    rng = random.Random(seed)
    examples = [([rng.randrange(2, VOCAB) for _ in range(length)], rng.randrange(CLASSES)) for _ in range(count)]
    tensors = [(torch.tensor([e[0] for e in examples[i:i + BATCH]]), torch.tensor([e[1] for e in examples[i:i + BATCH]]))
               for i in range(0, count, BATCH)]
    return examples, tensors


def tag_data(length: int, count: int, seed: int = 0, batch: int = TAG_BATCH):
    from zoo_bidirectional.tag_task import EncodedSentence

    rng = random.Random(seed)
    rows = [([rng.randrange(2, VOCAB) for _ in range(length)], [rng.randrange(len(TAGS)) for _ in range(length)])
            for _ in range(count)]
    encoded = [EncodedSentence(words, [], tags, ()) for words, tags in rows]
    tensors = [(torch.tensor([r[0] for r in rows[i:i + batch]]), torch.tensor([r[1] for r in rows[i:i + batch]]))
               for i in range(0, count, batch)]
    return encoded, tensors


def lines(count: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 30))) for _ in range(count)]


def zoo_train(model, examples) -> float:
    from zoo_core.training.loop import fit

    start = time.perf_counter()
    fit(model, examples, [], progress=False)
    return len(examples) / (time.perf_counter() - start)


# --- training ------------------------------------------------------------------------------------------------

def bench_training(reps: int, lengths: list[int], tag_lengths: list[int], tokens: int, only: list[str]) -> list[dict]:
    cases = []
    for architecture, cell, bidirectional, pooling in FAMILIES:
        if only and architecture not in only:
            continue
        for length in lengths:
            examples, tensors = classify_data(length, batches_for(length, BATCH, tokens) * BATCH)
            baseline = hand.HandClassifier(cell, bidirectional, pooling, VOCAB, EMBED, HIDDEN, CLASSES)
            cases.append({"case": architecture, "length": length, "zoo": zoo_classifier(architecture, bidirectional),
                          "hand": baseline, "optimizer": torch.optim.AdamW(baseline.parameters(), lr=1e-3),
                          "examples": examples, "tensors": tensors, "loss": hand.classifier_loss})
    for length in tag_lengths if not only or "bilstm-crf-tagger" in only else ():
        encoded, tensors = tag_data(length, batches_for(length, TAG_BATCH, tokens) * TAG_BATCH)
        baseline = hand.HandTagger(VOCAB, TAG_EMBED, TAG_HIDDEN, len(TAGS))
        cases.append({"case": "bilstm-crf-tagger", "length": length, "zoo": zoo_tagger(), "hand": baseline,
                      "optimizer": torch.optim.AdamW(baseline.parameters(), lr=1e-3),
                      "examples": encoded, "tensors": tensors, "loss": hand.tagger_loss})
    for case in cases:  # warm-up: oneDNN builds its kernels for each shape on first use
        zoo_train(case["zoo"], case["examples"][: len(case["tensors"][0][0])])
        hand.train_epoch(case["hand"], case["optimizer"], case["tensors"][:1], case["loss"])
        case["zoo_rates"], case["hand_rates"] = [], []
    for rep in range(reps):
        for case in cases:
            sides = [("zoo_rates", lambda: zoo_train(case["zoo"], case["examples"])),
                     ("hand_rates", lambda: hand.train_epoch(case["hand"], case["optimizer"], case["tensors"], case["loss"]))]
            for key, run in sides if rep % 2 == 0 else sides[::-1]:
                case[key].append(run())
        print(f"  training rep {rep + 1}/{reps} done", file=sys.stderr, flush=True)
    return [summarize(case["case"], case["length"], case["zoo_rates"], case["hand_rates"], len(case["tensors"]))
            for case in cases]


def summarize(case: str, length, zoo_rates, hand_rates, batches=None) -> dict:
    ratios = [z / h for z, h in zip(zoo_rates, hand_rates)]
    return {"case": case, "length": length, "batches": batches, "zoo": statistics.median(zoo_rates),
            "hand": statistics.median(hand_rates), "ratio": statistics.median(ratios),
            "ratio_min": min(ratios), "ratio_max": max(ratios)}


# --- inference -----------------------------------------------------------------------------------------------

def bench_predict(reps: int, count: int) -> list[dict]:
    """model.predict against the hand-written loop on the same weights, lines/s; interleaved reps."""
    classifier = zoo_classifier("lstm-classifier", False).eval()
    tagger = zoo_tagger().eval()
    index = {w: i for i, w in enumerate(classifier.vocabs["tokens"].tokens)}
    cases = [("lstm-classifier", lambda text: classifier.predict(text),
              lambda text, model=hand.classifier_from_zoo(classifier, "lstm"):
              hand.classify_lines(model, index, classifier.vocabs["labels"].tokens, text)),
             ("bilstm-crf-tagger", lambda text: tagger.predict(text),
              lambda text, model=hand.tagger_from_zoo(tagger): hand.tag_lines(model, index, TAGS, text))]
    text = lines(count)
    results = []
    for name, zoo_side, hand_side in cases:
        # The same predictions (but for near-ties of untrained weights, which batching order may flip).
        same = [z == (h if name != "lstm-classifier" else h[0]) for z, h in zip(zoo_side(text[:300]), hand_side(text[:300]))]
        assert sum(same) >= 0.98 * len(same), f"{name}: the two sides disagree on {len(same) - sum(same)} of 300 lines"
        zoo_rates, hand_rates = [], []
        for rep in range(reps):
            part = text[rep::reps]
            for rates, run in [(zoo_rates, zoo_side), (hand_rates, hand_side)][:: 1 if rep % 2 == 0 else -1]:
                start = time.perf_counter()
                run(part)
                rates.append(len(part) / (time.perf_counter() - start))
        results.append(summarize(f"{name}: `model.predict`", "5-30", zoo_rates, hand_rates))
    return results


def hand_run_stdin(saved: str) -> None:
    """The hand-written `zoo run -`: read stdin 64 lines at a time, classify, print (its own process, torch only)."""
    stored = torch.load(saved)
    model = hand.HandClassifier("lstm", False, "last", len(stored["words"]), EMBED, HIDDEN, len(stored["labels"]))
    model.load_state_dict(stored["state"])
    index = {w: i for i, w in enumerate(stored["words"])}
    batch, out = [], sys.stdout

    def flush():
        for text, (label, probability) in zip(batch, hand.classify_lines(model, index, stored["labels"], batch)):
            out.write(f"{label}\t{probability:.3f}\t{text}\n")
        out.flush()
        batch.clear()

    for line in sys.stdin:
        batch.append(line.rstrip("\n"))
        if len(batch) == 64:
            flush()
    if batch:
        flush()


def timed(command: list[str], stdin: Path, env: dict) -> float:
    start = time.perf_counter()
    with open(stdin) as source, open(os.devnull, "w") as sink:
        subprocess.run(command, stdin=source, stdout=sink, env=env, check=True)
    return time.perf_counter() - start


def bench_run_stdin(count: int, folder: Path) -> list[dict]:
    """`zoo run MODEL -` against hand_run_stdin, lines/s after start-up (one rep each, start-up runs beside)."""
    env = {**os.environ, "ZOO_HOME": str(folder / "home")}
    os.environ["ZOO_HOME"] = env["ZOO_HOME"]
    model = zoo_classifier("lstm-classifier", False)
    model.save("bench-families")
    baseline = hand.classifier_from_zoo(model, "lstm")
    saved = folder / "hand.pt"
    torch.save({"state": baseline.state_dict(), "words": model.vocabs["tokens"].tokens,
                "labels": model.vocabs["labels"].tokens}, saved)
    big, one = folder / "lines.txt", folder / "one.txt"
    big.write_text("\n".join(lines(count)) + "\n")
    one.write_text(lines(1)[0] + "\n")
    commands = {"zoo": [str(Path(sys.executable).parent / "zoo"), "run", "bench-families", "-"],
                "hand": [sys.executable, __file__, "--hand-run-stdin", str(saved)]}
    seconds = {side: timed(command, big, env) - timed(command, one, env) for side, command in commands.items()}
    return [summarize(f"lstm-classifier: `zoo run -` ({count:,} lines)", "5-30", [count / seconds["zoo"]],
                      [count / seconds["hand"]])]


# --- peak memory ---------------------------------------------------------------------------------------------

def child(spec: dict) -> None:
    """One side's work in this fresh process; prints the peak resident set size in MiB."""
    kind, side = spec["kind"], spec["side"]
    if kind == "train":
        tagger = spec["case"] == "bilstm-crf-tagger"
        if tagger:
            examples, tensors = tag_data(spec["length"], spec["batches"] * TAG_BATCH)
        else:
            examples, tensors = classify_data(spec["length"], spec["batches"] * BATCH)
        if side == "zoo":
            family = {f[0]: f for f in FAMILIES}.get(spec["case"])
            zoo_train(zoo_tagger() if tagger else zoo_classifier(spec["case"], family[2]), examples)
        else:
            if tagger:
                model, loss = hand.HandTagger(VOCAB, TAG_EMBED, TAG_HIDDEN, len(TAGS)), hand.tagger_loss
            else:
                _, cell, bidirectional, pooling = next(f for f in FAMILIES if f[0] == spec["case"])
                model = hand.HandClassifier(cell, bidirectional, pooling, VOCAB, EMBED, HIDDEN, CLASSES)
                loss = hand.classifier_loss
            hand.train_epoch(model, torch.optim.AdamW(model.parameters(), lr=1e-3), tensors, loss)
    else:  # predict over lines
        text = lines(spec["lines"])
        tagger = spec["case"] == "bilstm-crf-tagger"
        if side == "zoo":
            (zoo_tagger() if tagger else zoo_classifier(spec["case"], False)).eval().predict(text)
        else:
            index = {w: i + 2 for i, w in enumerate(WORDS)}
            if tagger:
                hand.tag_lines(hand.HandTagger(VOCAB, TAG_EMBED, TAG_HIDDEN, len(TAGS)), index, TAGS, text)
            else:
                model = hand.HandClassifier("lstm", False, "last", VOCAB, EMBED, HIDDEN, CLASSES)
                hand.classify_lines(model, index, ["0", "1"], text)
    # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so a child would report its parent's peak.
    status = Path("/proc/self/status").read_text()
    print(int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))) / 1024)


def peak_memory(spec: dict) -> float:
    done = subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)], capture_output=True, text=True,
                          check=True)
    return float(done.stdout.split()[-1])


def bench_memory(tokens: int, predict_lines: int) -> list[dict]:
    specs = [{"kind": "train", "case": "lstm-classifier", "length": 200},
             {"kind": "train", "case": "bilstm-classifier", "length": 200},
             {"kind": "train", "case": "bilstm-attn-classifier", "length": 800},
             {"kind": "train", "case": "bilstm-crf-tagger", "length": 50},
             {"kind": "predict", "case": "lstm-classifier", "lines": predict_lines},
             {"kind": "predict", "case": "bilstm-crf-tagger", "lines": predict_lines}]
    rows = []
    for spec in specs:
        if spec["kind"] == "train":
            batch = TAG_BATCH if spec["case"] == "bilstm-crf-tagger" else BATCH
            spec["batches"] = batches_for(spec["length"], batch, tokens)
        zoo_mb, hand_mb = peak_memory({**spec, "side": "zoo"}), peak_memory({**spec, "side": "hand"})
        what = f"{spec['kind']} {spec['case']}" + (f", length {spec['length']}" if "length" in spec
                                                    else f", {spec['lines']:,} lines")
        rows.append({"case": what, "zoo": zoo_mb, "hand": hand_mb, "ratio": zoo_mb / hand_mb})
    return rows


# --- tables --------------------------------------------------------------------------------------------------

def rate_table(rows: list[dict], unit: str) -> str:
    lines_ = [f"| case | length | batches | zoo {unit} | hand-written {unit} | ratio (median, min-max) |",
              "|---|---|---|---|---|---|"]
    for row in rows:
        flag = "" if row["ratio"] >= 1.0 else " (below 1.0x)"
        lines_.append(f"| {row['case']} | {row['length']} | {row['batches'] or '-'} | {row['zoo']:,.0f} | "
                      f"{row['hand']:,.0f} | **{row['ratio']:.3f}x** ({row['ratio_min']:.3f}-{row['ratio_max']:.3f})"
                      f"{flag} |")
    return "\n".join(lines_)


def memory_table(rows: list[dict]) -> str:
    out = ["| case | zoo peak MiB | hand-written peak MiB | ratio |", "|---|---|---|---|"]
    out += [f"| {r['case']} | {r['zoo']:,.0f} | {r['hand']:,.0f} | **{r['ratio']:.3f}x** |" for r in rows]
    return "\n".join(out)


def write_docs(text: str, markers: tuple[str, str] = MARKERS) -> None:
    """Put ``text`` between ``markers`` in docs/benchmarks.md (appended the first time)."""
    replace_section(DOCS, text, markers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--tokens", type=int, default=48_000, help="training tokens per case and rep (>= 3 batches)")
    parser.add_argument("--lengths", type=int, nargs="+", default=[50, 200, 800])
    parser.add_argument("--tag-lengths", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--only", nargs="*", default=[], help="these architectures only")
    parser.add_argument("--predict-lines", type=int, default=30_000)
    parser.add_argument("--run-lines", type=int, default=100_000, help="`zoo run -` lines (0: skip)")
    parser.add_argument("--parts", default="train,predict,run,memory")
    parser.add_argument("--write-docs", action="store_true", help=f"write the tables into {DOCS.name}")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--hand-run-stdin", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(json.loads(args.child))
    if args.hand_run_stdin:
        return hand_run_stdin(args.hand_run_stdin)
    parts = set(args.parts.split(","))
    started = datetime.now(timezone.utc)
    sections = [f"Measured {started:%Y-%m-%d %H:%M} UTC, torch {torch.__version__}, {torch.get_num_threads()} threads, "
                f"load average at start {os.getloadavg()[0]:.1f}; command:\n\n```\nflock /tmp/zoo-heavy.lock "
                f".venv/bin/python bench/bench_families.py {' '.join(sys.argv[1:])}\n```"]
    if "train" in parts:
        rows = bench_training(args.reps, args.lengths, args.tag_lengths, args.tokens, args.only)
        sections.append(f"**Training**, sequences/s ({args.reps} interleaved reps, about {args.tokens:,} tokens a "
                        f"case and rep):\n\n{rate_table(rows, 'seq/s')}")
        print(sections[-1], flush=True)
    if "predict" in parts:
        rows = bench_predict(args.reps, args.predict_lines)
        sections.append(f"**Inference**, lines/s ({args.predict_lines:,} lines of 5-30 words split into {args.reps} "
                        f"interleaved reps):\n\n{rate_table(rows, 'lines/s')}")
        print(sections[-1], flush=True)
    if "run" in parts and args.run_lines:
        rows = bench_run_stdin(args.run_lines, Path(tempfile.mkdtemp(prefix="bench-families-")))
        sections.append(f"**`zoo run -`**, lines/s after start-up (one rep a side):\n\n{rate_table(rows, 'lines/s')}")
        print(sections[-1], flush=True)
    if "memory" in parts:
        rows = bench_memory(args.tokens, args.predict_lines)
        sections.append(f"**Peak resident memory** of a fresh process doing one side's work:\n\n{memory_table(rows)}")
        print(sections[-1], flush=True)
    seconds = (datetime.now(timezone.utc) - started).total_seconds()
    sections.append(f"({seconds / 60:.1f} minutes in all.)")
    if args.write_docs:
        write_docs("\n\n".join(sections))


if __name__ == "__main__":
    main()
