"""Transfer on rt-polarity: a classifier started from a word LM pretrained on the shared data's English text,
against the same classifier from scratch, three seeds each, the same time budget.

ULMFiT's recipe (Howard & Ruder 2018) in zoo commands: a general word LM on the whole corpus, the same LM
continued on the corpus's rt-polarity sentences (the target domain), then the classifier started from it
with `--init`, with one learning rate and with smaller ones for the embedding and encoder (discriminative
fine-tuning). Runs go two at a time, one torch thread each, interleaved by seed.

The pretraining corpus is the English text of ../shared/data outside every test split: the Tatoeba English
side (pairs whose md5 rule puts them in test left out), CoNLL-2000 train words, rt-polarity train and dev
sentences (index % 10 != 9), and the first 90% of Tiny Shakespeare (its last 10% is the LM validation split
used elsewhere). It is written under --work, never beside the data. The classifier's settings were fixed
before any run (no setting was chosen on test); weights are chosen on dev, test is scored once per run.

    flock /tmp/zoo-heavy.lock .venv/bin/python bench/transfer_experiment.py --general-minutes 14 --target-minutes 6 --finetune-minutes 5
    .venv/bin/python bench/transfer_experiment.py --render-only   # docs/transfer.md's table from the JSON
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
RT = SHARED / "rt-polarity" / "rt-polarity"
RESULTS = REPO / "results" / "transfer" / "rt-polarity.json"
DOC = REPO / "docs" / "transfer.md"
BEGIN, END = "<!-- transfer-experiment:begin -->", "<!-- transfer-experiment:end -->"
SIZES = ["--set", "embedding.dim=200", "--set", "encoder.hidden_size=256", "--set", "encoder.num_layers=1"]
LM_SETTINGS = [*SIZES, "--set", "tokenizer.min_freq=2", "--set", "tokenizer.max_size=20000",
               "--set", "encoder.dropout=0.3", "--set", "embedding.dropout=0.2", "--set", "data.chunk_length=64",
               "--set", "training.batch_size=32", "--set", "training.epochs=1000", "--set", "training.patience=1000"]
CLASSIFIER_SETTINGS = [*SIZES, "--set", "head.pooling=mean", "--set", "tokenizer.min_freq=2",
                       "--set", "embedding.dropout=0.5", "--set", "head.dropout=0.5", "--set", "training.epochs=50",
                       "--set", "training.patience=4", "--set", "training.lr=1e-3", "--set", "training.weight_decay=0.01"]
#: How each variant starts and trains; both init recipes were fixed before the first run, and the one the
#: comparison uses is the one with the better mean dev accuracy (never test).
VARIANTS = {
    "scratch": [],
    "init": ["--init", "pretrained-lm"],
    "init-discriminative": ["--init", "pretrained-lm", "--set", 'training.lr_multipliers={"embedding": 0.25, "encoder": 0.5}'],
}


def write_corpus(path: Path) -> dict:
    """The pretraining corpus, one sentence or line a line; returns its size."""
    parts: dict[str, list[str]] = {}
    with gzip.open(SHARED / "tatoeba-eng-fra" / "fra.txt.gz", "rt", encoding="utf-8") as file:
        english = dict.fromkeys(line.split("\t", 1)[0] for line in file)
    parts["tatoeba-en"] = [s for s in english if int(hashlib.md5(s.encode("utf-8")).hexdigest(), 16) % 10 != 0]
    words, sentence = [], []
    for line in (SHARED / "conll2000" / "train.txt").read_text(encoding="utf-8").splitlines():
        if line.strip():
            sentence.append(line.split(" ", 1)[0])
        elif sentence:
            words.append(" ".join(sentence))
            sentence = []
    parts["conll2000-train"] = words
    parts["rt-polarity-train-dev"] = [line.strip() for suffix in ("pos", "neg")
                                      for i, line in enumerate((RT.parent / f"rt-polarity.{suffix}")
                                                               .read_text(encoding="utf-8").splitlines()) if i % 10 != 9]
    shakespeare = (SHARED / "tinyshakespeare" / "input.txt").read_text(encoding="utf-8")
    parts["tinyshakespeare-first-90%"] = shakespeare[: int(0.9 * len(shakespeare))].splitlines()
    lines = [line for part in parts.values() for line in part if line.strip()]
    random.Random(0).shuffle(lines)  # so the LM's held-out last tenth mixes every source
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    target = [line for line in parts["rt-polarity-train-dev"] if line.strip()]
    path.with_name("target-corpus.txt").write_text("\n".join(target) + "\n", encoding="utf-8")
    return {"lines": len(lines), "words": sum(len(line.split()) for line in lines),
            "parts": {name: len(part) for name, part in parts.items()},
            "target_words": sum(len(line.split()) for line in target)}


def start(*args: str, home: Path, threads: int = 2) -> subprocess.Popen:
    """`zoo ARGS` in the background, on its own store and number of torch threads."""
    env = {**os.environ, "ZOO_HOME": str(home), "OMP_NUM_THREADS": str(threads)}
    command = [str(REPO / ".venv" / "bin" / "zoo"), *args]
    print("$", " ".join(command), file=sys.stderr, flush=True)
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen) -> str:
    """Wait for a started `zoo`; its stdout, or exit with its last error line."""
    stdout, stderr = process.communicate()
    if process.returncode != 0:
        sys.exit(f"failed: {stderr.strip().splitlines()[-1] if stderr.strip() else process.returncode}")
    return stdout


def zoo(*args: str, home: Path, threads: int = 2) -> str:
    return finish(start(*args, home=home, threads=threads))


def summary(name: str, home: Path) -> dict:
    return json.loads(zoo("info", name, "--json", home=home))["training"]


def pretrain(results: dict, args, home: Path, corpus: Path) -> None:
    """ULMFiT's first two stages: a general word LM on the whole corpus, then the same LM continued on the
    corpus's rt-polarity part alone (the target domain; its vocabulary becomes the target's)."""
    stages = (("general-lm", corpus, [], args.general_minutes),
              ("pretrained-lm", corpus.with_name("target-corpus.txt"), ["--init", "general-lm"], args.target_minutes))
    results["lm"] = {}
    for name, data, init, minutes in stages:
        started = time.monotonic()
        zoo("train", "word-lstm-lm", "--data", str(data), "--out", name, "--force", *LM_SETTINGS, *init,
            "--set", f"training.max_minutes={minutes}", "--quiet", home=home)
        trained = summary(name, home)
        results["lm"][name] = {"minutes": (time.monotonic() - started) / 60, "epochs": trained.get("epochs"),
                               "best_valid": trained.get("best_value"), "metric": trained.get("best_metric"),
                               "stopped": trained.get("stopped"), "init": trained.get("init")}
        print(json.dumps(results["lm"][name]), file=sys.stderr, flush=True)


def run(args) -> dict:
    home = args.work / "zoo-home"
    args.work.mkdir(parents=True, exist_ok=True)
    corpus = args.work / "pretrain-corpus.txt"
    results = {"corpus": write_corpus(corpus), "general_minutes": args.general_minutes,
               "target_minutes": args.target_minutes, "finetune_minutes": args.finetune_minutes,
               "classifier": "lstm-classifier", "classifier_settings": CLASSIFIER_SETTINGS,
               "lm_settings": LM_SETTINGS, "variants": VARIANTS, "runs": []}
    print(f"corpus: {results['corpus']}", file=sys.stderr)
    pretrain(results, args, home, corpus)
    jobs = [(seed, variant) for seed in args.seeds for variant in VARIANTS]  # interleaved by seed
    for at in range(0, len(jobs), 2):  # two runs at a time, one thread each: the same conditions for all
        started = []
        for seed, variant in jobs[at:at + 2]:
            name = f"rt-{variant}-{seed}"
            started.append((seed, variant, name, start(
                "train", "lstm-classifier", "--data", str(RT), "--out", name, "--force", *CLASSIFIER_SETTINGS,
                "--set", f"training.max_minutes={args.finetune_minutes}", "--seed", str(seed), *VARIANTS[variant],
                "--quiet", home=home, threads=1)))
        for seed, variant, name, process in started:
            finish(process)
            trained = summary(name, home)
            results["runs"].append({"variant": variant, "seed": seed, "test_accuracy": trained["test"]["accuracy"],
                                    "valid_accuracy": trained["best_value"], "epochs": trained["epochs"],
                                    "seconds": trained.get("seconds"), "stopped": trained["stopped"],
                                    "init": trained.get("init")})
            print(json.dumps(results["runs"][-1]), file=sys.stderr, flush=True)
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        temporary = RESULTS.with_suffix(".tmp")
        temporary.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        temporary.replace(RESULTS)
    return results


LABELS = {"scratch": "from scratch", "init": "from the pretrained word LM (`--init`), one learning rate",
          "init-discriminative": "from the pretrained word LM (`--init`), embedding x0.25, encoder x0.5 lr"}


def table(results: dict) -> str:
    def mean(variant: str, key: str) -> float:
        return statistics.mean(100 * r[key] for r in results["runs"] if r["variant"] == variant)

    rows = []
    for variant in results["variants"]:
        runs = [r for r in results["runs"] if r["variant"] == variant]
        if not runs:
            continue
        accuracies = [100 * r["test_accuracy"] for r in runs]
        spread = statistics.stdev(accuracies) if len(accuracies) > 1 else 0.0
        rows.append(f"| {LABELS[variant]} | {statistics.mean(accuracies):.2f} ± {spread:.2f} | "
                    f"{mean(variant, 'valid_accuracy'):.2f} | {', '.join(f'{a:.2f}' for a in accuracies)} | "
                    f"{', '.join(str(r['epochs']) for r in runs)} |")
    recipes = [v for v in results["variants"] if v != "scratch" and any(r["variant"] == v for r in results["runs"])]
    verdict = ""
    if recipes and any(r["variant"] == "scratch" for r in results["runs"]):
        chosen = max(recipes, key=lambda v: mean(v, "valid_accuracy"))
        gain = mean(chosen, "test_accuracy") - mean("scratch", "test_accuracy")
        verdict = (f"The init recipe with the better mean dev accuracy is **{LABELS[chosen]}**: "
                   f"**{gain:+.2f} points** of test accuracy over from scratch (target +1.5: "
                   f"{'met' if gain >= 1.5 else 'not met'}; aim 80%: {mean(chosen, 'test_accuracy'):.2f}%).")
    corpus = results["corpus"]
    lms = "; ".join(f"`{name}`: {lm['epochs']} epochs begun, {lm['minutes']:.1f} minutes wall with reading the text, "
                    f"{lm['metric']} "
                    f"{lm['best_valid']:.4f} ({lm['stopped']})" for name, lm in results["lm"].items())
    return "\n".join([
        BEGIN,
        f"Pretraining corpus: {corpus['words']:,} words in {corpus['lines']:,} lines "
        f"({', '.join(f'{k} {v:,}' for k, v in corpus['parts'].items())} lines), shuffled; its rt-polarity part "
        f"({corpus['target_words']:,} words) is the target-domain stage. Word LMs ({results['general_minutes']:g} + "
        f"{results['target_minutes']:g} minutes, two threads): {lms}. Classifier: `lstm-classifier`, mean pooling, "
        f"at most {results['finetune_minutes']:g} minutes a run, one thread, two runs at a time; rt-polarity "
        "test split (1,066 sentences), weights chosen on dev, test scored once a run.",
        "",
        "| classifier | test accuracy % (mean ± sd) | dev accuracy % (mean) | test per seed | epochs per seed |",
        "|---|---|---|---|---|",
        *rows,
        "",
        verdict,
        "",
        "Command: `flock /tmp/zoo-heavy.lock .venv/bin/python bench/transfer_experiment.py "
        f"--general-minutes {results['general_minutes']:g} --target-minutes {results['target_minutes']:g} "
        f"--finetune-minutes {results['finetune_minutes']:g}`; JSON: `results/transfer/rt-polarity.json`.",
        END,
    ])


def render(results: dict) -> None:
    text = DOC.read_text(encoding="utf-8")
    block = table(results)
    if BEGIN in text:
        text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n## Measured: rt-polarity\n\n" + block + "\n"
    DOC.write_text(text, encoding="utf-8")
    print(block)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--general-minutes", type=float, default=14.0)
    parser.add_argument("--target-minutes", type=float, default=6.0)
    parser.add_argument("--finetune-minutes", type=float, default=5.0)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--work", type=Path, default=Path("/tmp/zoo-transfer"))
    parser.add_argument("--render-only", action="store_true")
    args = parser.parse_args()
    if not SHARED.is_dir():
        sys.exit(f"{SHARED} is missing: this experiment needs the shared data")
    render(json.loads(RESULTS.read_text(encoding="utf-8")) if args.render_only else run(args))


if __name__ == "__main__":
    main()
