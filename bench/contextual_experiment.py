"""CoNLL-2000 chunking with contextual string embeddings (Akbik et al. 2018) against the same tagger without them.

Two character LMs (forward, and backward with data.reverse=true) are trained on the pretraining corpus of
bench/transfer_experiment.py (the shared data's English text outside every test split) with the CoNLL-2000
train words added once more (the tagger's own domain), its lines shuffled with a fixed seed so every stream
row mixes the sources. Then `bilstm-crf-tagger` and `bilstm-crf-flair-tagger` (the same tagger with both LMs'
states at the word boundaries) train for the same number of minutes, one torch thread each. Weights are chosen
on the dev rule of the data README (sentence i % 10 == 9); test is scored once per run. Everything is written
under --work, never beside the data.

    flock /tmp/zoo-heavy.lock .venv/bin/python bench/contextual_experiment.py lms --minutes 10
    flock /tmp/zoo-heavy.lock .venv/bin/python bench/contextual_experiment.py taggers --minutes 12
    .venv/bin/python bench/contextual_experiment.py render   # docs/results.md's table from the JSON
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from transfer_experiment import SHARED, finish, start, write_corpus, zoo  # noqa: E402 - a sibling script, not a package

REPO = Path(__file__).resolve().parents[1]
CONLL = SHARED / "conll2000"
RESULTS = REPO / "results" / "transfer" / "conll2000-contextual.json"
DOC = REPO / "docs" / "results.md"
BEGIN, END = "<!-- contextual-experiment:begin -->", "<!-- contextual-experiment:end -->"
LM_SETTINGS = ["--set", "encoder.hidden_size=512", "--set", "training.epochs=1000", "--set", "training.patience=1000",
               "--set", "training.batch_size=32", "--set", "data.chunk_length=128"]
TAGGERS = {"plain": "bilstm-crf-tagger", "contextual": "bilstm-crf-flair-tagger"}
THREADS = int(os.environ.get("OMP_NUM_THREADS", "1"))  # torch threads a run (one: the other core is busy)


def summary(name: str, home: Path) -> dict:
    info = json.loads(zoo("info", name, "--json", home=home))
    return {**info["training"], "history": info["history"]}


def load_results() -> dict:
    return json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}


def save_results(results: dict) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    temporary = RESULTS.with_suffix(".tmp")
    temporary.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    temporary.replace(RESULTS)


def write_lm_corpus(path: Path) -> dict:
    size = write_corpus(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    conll, sentence = [], []
    for line in (CONLL / "train.txt").read_text(encoding="utf-8").splitlines():
        if line.strip():
            sentence.append(line.split(" ", 1)[0])
        elif sentence:
            conll.append(" ".join(sentence))
            sentence = []
    lines += conll
    random.Random(0).shuffle(lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    size["parts"]["conll2000-train (again)"] = len(conll)
    size.update(lines=len(lines), words=sum(len(line.split()) for line in lines),
                characters=sum(len(line) + 1 for line in lines))
    return size


def train_lms(args) -> None:
    home = args.work / "zoo-home"
    args.work.mkdir(parents=True, exist_ok=True)
    corpus = args.work / "char-lm-corpus.txt"
    results = load_results()
    results["corpus"] = write_lm_corpus(corpus)
    results["lm_minutes"], results["lm_settings"], results["lms"] = args.minutes, LM_SETTINGS, {}
    print(f"corpus: {results['corpus']}", file=sys.stderr)
    for name, reverse in (("fwd-lm", "false"), ("bwd-lm", "true")):
        started = time.monotonic()
        zoo("train", "char-lstm-lm", "--data", str(corpus), "--out", name, "--force", *LM_SETTINGS,
            "--set", f"data.reverse={reverse}", "--set", f"training.max_minutes={args.minutes}", "--quiet", home=home,
            threads=THREADS)
        trained = summary(name, home)
        last = trained["history"][-1]
        results["lms"][name] = {"reverse": reverse == "true", "wall_minutes": (time.monotonic() - started) / 60,
                                "epochs": trained["epochs"], "stopped": trained["stopped"],
                                "valid": {k[6:]: v for k, v in last.items() if k.startswith("valid_")},
                                "tokens_per_s": last["tokens_per_s"], "train_seconds": trained["seconds"]}
        print(json.dumps(results["lms"][name]), file=sys.stderr, flush=True)
        save_results(results)


#: The two CoNLL-2000 tasks: the column a tagger learns, where its runs go in the results, its dev metric.
TASKS = {"chunk": ("2", "taggers"), "pos": ("1", "pos_taggers")}


def train_taggers(args) -> None:
    """Both variants of one task for the same minutes, one torch thread each; with --parallel at once
    (one core each, so neither slows the other), else one after the other."""
    home = args.work / "zoo-home"
    results = load_results()
    label_field, key = TASKS[args.task]
    results.setdefault(key, {})
    results["tagger_minutes" if args.task == "chunk" else f"{key}_minutes"] = args.minutes

    def record(variant: str, name: str, began: float) -> None:
        trained = summary(name, home)
        results[key][variant] = {
            "architecture": TAGGERS[variant], "wall_minutes": (time.monotonic() - began) / 60,
            "epochs": trained["epochs"], "best_epoch": trained["best_epoch"], "stopped": trained["stopped"],
            "dev_metric": trained.get("best_metric"), "dev_f1": trained["best_value"], "test": trained.get("test"),
            "train_seconds": trained["seconds"], "parallel": args.parallel,
            "tokens_per_s": [row["tokens_per_s"] for row in trained["history"]]}
        print(json.dumps(results[key][variant]), file=sys.stderr, flush=True)
        save_results(results)

    running = []
    for variant in args.variants:
        name, began = f"{args.task}-{variant}", time.monotonic()
        process = start("train", TAGGERS[variant], "--data", str(CONLL / "train.txt"), "--test",
                        str(CONLL / "test.txt"), "--label-field", label_field, "--out", name, "--force",
                        "--set", f"training.max_minutes={args.minutes}", "--quiet", home=home, threads=THREADS)
        if args.parallel:
            running.append((variant, name, process, began))
        else:
            finish(process)
            record(variant, name, began)
    for variant, name, process, began in running:
        finish(process)
        record(variant, name, began)


def table(results: dict) -> str:
    corpus, lms = results["corpus"], results.get("lms", {})
    train_chars = corpus["characters"] * 0.9  # the LM task validates on the last 10%
    lm_line = "; ".join(
        f"{name}: {lm['tokens_per_s']:,.0f} characters/s, so {lm['tokens_per_s'] * lm['train_seconds'] / 1e6:.1f}M of "
        f"the {train_chars / 1e6:.1f}M training characters seen, {lm['valid']['bits_per_char']:.3f} bits/char on the "
        "held-out 10%" for name, lm in lms.items() if lm.get("valid"))
    rows = ["| tagger | test chunk F1 | test token accuracy | dev F1 | epochs | minutes (wall, with test) |",
            "|---|---|---|---|---|---|"]
    for variant, run in results.get("taggers", {}).items():
        label = "BiLSTM-CRF + char-CNN" + (" + contextual string embeddings (fwd-lm, bwd-lm)"
                                            if variant == "contextual" else "")
        test = run.get("test") or {}
        rows.append(f"| {label} (`{run['architecture']}`) | {100 * test.get('f1', float('nan')):.2f} | "
                    f"{100 * test.get('accuracy', float('nan')):.2f} | {100 * (run['dev_f1'] or float('nan')):.2f} | "
                    f"{run['epochs']} | {run['wall_minutes']:.1f} |")
    taggers = results.get("taggers", {})
    verdict = ""
    if {"plain", "contextual"} <= set(taggers):
        plain, contextual = (100 * taggers[k]["test"]["f1"] for k in ("plain", "contextual"))
        speeds = {k: sorted(taggers[k]["tokens_per_s"][1:])[len(taggers[k]["tokens_per_s"][1:]) // 2]
                  for k in ("plain", "contextual")}
        verdict = (f"Contextual against plain: **{contextual - plain:+.2f} F1**; target 94.5: "
                   f"{'met' if contextual >= 94.5 else '**not met**'} ({contextual:.2f}). Median training speed "
                   f"after the first epoch: {speeds['plain']:,.0f} tokens/s plain, {speeds['contextual']:,.0f} "
                   f"contextual (first epoch, filling the cache: {taggers['contextual']['tokens_per_s'][0]:,.0f}), "
                   f"so the contextual tagger had {taggers['contextual']['epochs']} epochs to the plain one's "
                   f"{taggers['plain']['epochs']}. The shared machine's load moved these speeds (the plain tagger's "
                   f"epochs ran at {min(taggers['plain']['tokens_per_s']):,.0f} to "
                   f"{max(taggers['plain']['tokens_per_s']):,.0f} tokens/s); docs/benchmarks.md has the ratio measured "
                   "interleaved.")
    return "\n".join([*chunk_lines(results, corpus, lm_line, rows, verdict), *pos_lines(results)])


def pos_lines(results: dict) -> list[str]:
    """The POS table (target 98.0 token accuracy), when the pos stage has run."""
    runs = results.get("pos_taggers", {})
    if not runs:
        return []
    rows = ["| tagger | test token accuracy | dev accuracy | epochs (best) | stopped by | minutes (wall, with test) |",
            "|---|---|---|---|---|---|"]
    for variant, run in runs.items():
        label = "BiLSTM-CRF + char-CNN" + (" + contextual string embeddings (fwd-lm, bwd-lm)"
                                            if variant == "contextual" else "")
        rows.append(f"| {label} (`{run['architecture']}`) | {100 * run['test']['accuracy']:.2f} | "
                    f"{100 * run['dev_f1']:.2f} | {run['epochs']} ({run['best_epoch']}) | {run['stopped']} | "
                    f"{run['wall_minutes']:.1f} |")
    verdict = ""
    if {"plain", "contextual"} <= set(runs):
        plain, contextual = (100 * runs[k]["test"]["accuracy"] for k in ("plain", "contextual"))
        verdict = (f"Contextual against plain: **{contextual - plain:+.2f} points**; target 98.0: "
                   f"{'met' if contextual >= 98.0 else '**not met**'} ({contextual:.2f}).")
    together = "at the same time, one core each" if any(run.get("parallel") for run in runs.values()) else "in turn"
    return ["", f"POS tags (column 2), the same LMs, each tagger at most {results['pos_taggers_minutes']:g} minutes, "
            f"one torch thread, both trained {together}:", "", *rows, "", verdict, "",
            f"Command: `flock /tmp/zoo-heavy.lock .venv/bin/python bench/contextual_experiment.py taggers --task pos "
            f"--parallel --minutes {results['pos_taggers_minutes']:g}`."]


def chunk_lines(results: dict, corpus: dict, lm_line: str, rows: list[str], verdict: str) -> list[str]:
    return [
        f"Char-LM corpus: {corpus['characters']:,} characters, {corpus['words']:,} words in {corpus['lines']:,} lines "
        f"({', '.join(f'{k} {v:,}' for k, v in corpus['parts'].items())} lines), shuffled. Each LM at most "
        f"{results['lm_minutes']:g} minutes ({lm_line}); each tagger at most {results.get('tagger_minutes', 0):g} "
        "minutes; one torch thread each, the other core busy with other engineers' tests.",
        "", *rows, "", verdict, "",
        "Commands: `flock /tmp/zoo-heavy.lock .venv/bin/python bench/contextual_experiment.py lms --minutes "
        f"{results['lm_minutes']:g}`, then `... taggers --minutes {results.get('tagger_minutes', 0):g}`; "
        "JSON: `results/transfer/conll2000-contextual.json`."]


def render() -> None:
    text = DOC.read_text(encoding="utf-8")
    if BEGIN not in text:
        sys.exit(f"{DOC}: no {BEGIN} marker")
    head, rest = text.split(BEGIN, 1)
    DOC.write_text(head + BEGIN + "\n" + table(load_results()) + "\n" + END + rest.split(END, 1)[1], encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=["lms", "taggers", "render"])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--variants", nargs="+", choices=list(TAGGERS), default=list(TAGGERS))
    parser.add_argument("--task", choices=list(TASKS), default="chunk", help="taggers: chunk (column 3) or pos (2)")
    parser.add_argument("--parallel", action="store_true", help="taggers: train both variants at once")
    parser.add_argument("--work", type=Path, default=Path("/tmp/zoo-contextual"))
    args = parser.parse_args()
    {"lms": train_lms, "taggers": train_taggers, "render": lambda _: render()}[args.stage](args)


if __name__ == "__main__":
    main()
