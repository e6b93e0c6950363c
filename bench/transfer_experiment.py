"""Transfer on rt-polarity: a classifier started from a word LM pretrained on the shared data's English text,
against the same classifier from scratch, three seeds each, the same time budget.

The pretraining corpus is the English text of ../shared/data outside every test split: the Tatoeba English
side (pairs whose md5 rule puts them in test left out), CoNLL-2000 train words, rt-polarity train and dev
sentences (index % 10 != 9), and the first 90% of Tiny Shakespeare (its last 10% is the LM validation split
used elsewhere). It is written under --work, never beside the data. The classifier's settings were fixed
before any run (no setting was chosen on test); weights are chosen on dev, test is scored once per run.

    flock /tmp/zoo-heavy.lock .venv/bin/python bench/transfer_experiment.py --pretrain-minutes 20 --finetune-minutes 5
    .venv/bin/python bench/transfer_experiment.py --render-only   # docs/transfer.md's table from the JSON
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
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
LM_SETTINGS = [*SIZES, "--set", "tokenizer.min_freq=2", "--set", "encoder.dropout=0.3", "--set", "embedding.dropout=0.2",
               "--set", "data.chunk_length=64", "--set", "training.epochs=1000", "--set", "training.patience=1000"]
CLASSIFIER_SETTINGS = [*SIZES, "--set", "head.pooling=mean", "--set", "tokenizer.min_freq=2",
                       "--set", "embedding.dropout=0.5", "--set", "head.dropout=0.5", "--set", "training.epochs=50",
                       "--set", "training.patience=4", "--set", "training.lr=1e-3", "--set", "training.weight_decay=0.01"]


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
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"lines": len(lines), "words": sum(len(line.split()) for line in lines),
            "parts": {name: len(part) for name, part in parts.items()}}


def zoo(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "ZOO_HOME": str(home), "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "2")}
    command = [str(REPO / ".venv" / "bin" / "zoo"), *args]
    print("$", " ".join(command), file=sys.stderr, flush=True)
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"failed: {result.stderr.strip().splitlines()[-1] if result.stderr.strip() else result.returncode}")
    return result


def summary(name: str, home: Path) -> dict:
    return json.loads(zoo("info", name, "--json", home=home).stdout)["training"]


def run(args) -> dict:
    home = args.work / "zoo-home"
    args.work.mkdir(parents=True, exist_ok=True)
    corpus = args.work / "pretrain-corpus.txt"
    results = {"corpus": write_corpus(corpus), "pretrain_minutes": args.pretrain_minutes,
               "finetune_minutes": args.finetune_minutes, "classifier": "lstm-classifier",
               "classifier_settings": CLASSIFIER_SETTINGS, "lm_settings": LM_SETTINGS, "runs": []}
    print(f"corpus: {results['corpus']}", file=sys.stderr)
    started = time.monotonic()
    zoo("train", "word-lstm-lm", "--data", str(corpus), "--out", "pretrained-lm", "--force", *LM_SETTINGS,
        "--set", f"training.max_minutes={args.pretrain_minutes}", "--quiet", home=home)
    lm = summary("pretrained-lm", home)
    results["lm"] = {"minutes": (time.monotonic() - started) / 60, "epochs": lm.get("epochs"),
                     "best_valid": lm.get("best_value"), "metric": lm.get("best_metric"), "stopped": lm.get("stopped")}
    for seed in args.seeds:  # interleaved: both variants of a seed run back to back
        for variant in ("scratch", "init"):
            name = f"rt-{variant}-{seed}"
            extra = ["--init", "pretrained-lm"] if variant == "init" else []
            zoo("train", "lstm-classifier", "--data", str(RT), "--out", name, "--force", *CLASSIFIER_SETTINGS,
                "--set", f"training.max_minutes={args.finetune_minutes}", "--seed", str(seed), *extra, "--quiet",
                home=home)
            trained = summary(name, home)
            results["runs"].append({"variant": variant, "seed": seed, "test_accuracy": trained["test"]["accuracy"],
                                    "valid_accuracy": trained["best_value"], "epochs": trained["epochs"],
                                    "stopped": trained["stopped"], "init": trained.get("init")})
            print(json.dumps(results["runs"][-1]), file=sys.stderr, flush=True)
            RESULTS.parent.mkdir(parents=True, exist_ok=True)
            RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return results


def table(results: dict) -> str:
    rows = []
    for variant, label in (("scratch", "from scratch"), ("init", "from the pretrained word LM (`--init`)")):
        accuracies = [r["test_accuracy"] * 100 for r in results["runs"] if r["variant"] == variant]
        if not accuracies:
            continue
        spread = statistics.stdev(accuracies) if len(accuracies) > 1 else 0.0
        rows.append(f"| {label} | {statistics.mean(accuracies):.2f} ± {spread:.2f} | "
                    f"{', '.join(f'{a:.2f}' for a in accuracies)} |")
    corpus = results["corpus"]
    lm = results["lm"]
    return "\n".join([
        BEGIN,
        f"Pretraining corpus: {corpus['words']:,} words in {corpus['lines']:,} lines "
        f"({', '.join(f'{k} {v:,}' for k, v in corpus['parts'].items())} lines). Word LM: {lm['epochs']} epochs in "
        f"{lm['minutes']:.1f} minutes, {lm['metric']} {lm['best_valid']:.4f} ({lm['stopped']}). Classifier: "
        f"`lstm-classifier`, mean pooling, at most {results['finetune_minutes']} minutes a run; rt-polarity test split "
        f"(1,066 sentences), weights chosen on dev.",
        "",
        "| classifier | test accuracy % (mean ± sd) | per seed |",
        "|---|---|---|",
        *rows,
        "",
        "Command: `flock /tmp/zoo-heavy.lock .venv/bin/python bench/transfer_experiment.py "
        f"--pretrain-minutes {results['pretrain_minutes']} --finetune-minutes {results['finetune_minutes']}`; "
        "JSON: `results/transfer/rt-polarity.json`.",
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
    parser.add_argument("--pretrain-minutes", type=float, default=20.0)
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
