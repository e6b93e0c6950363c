"""English to French on Tatoeba (../shared/data/tatoeba-eng-fra/fra.txt.gz): gru-attn-seq2seq against
gru-seq2seq (no attention) with the same encoder, sizes and time budget; test BLEU greedy and beam 5.

Run from the repository root, one heavy job at a time:
    OMP_NUM_THREADS=2 flock /tmp/zoo-heavy.lock .venv/bin/python plugins/seq2seq/experiments/tatoeba.py --minutes 19
Writes results/seq2seq/tatoeba-eng-fra.json, docs/translation.md's table and docs/translation-attention.png.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
DATA = "../shared/data/tatoeba-eng-fra/fra.txt.gz"
ARCHITECTURES = ("gru-attn-seq2seq", "gru-seq2seq")
SETTINGS = ["data.max_words=10", "tokenizer.max_size=8000", "embedding.dim=128", "encoder.hidden_size=128",
            "head.hidden_size=256", "head.embedding_dim=128", "head.attention_dim=128", "training.batch_size=64",
            "training.epochs=100", "training.patience=3"]
PICTURE_SENTENCES = ["i am not sure that he is right .", "she gave me a book yesterday ."]


def train_command(architecture: str, minutes: float) -> list[str]:
    command = ["zoo", "train", architecture, "--data", DATA, "--text-field", "0", "--label-field", "1"]
    for setting in [*SETTINGS, f"training.max_minutes={minutes:g}"]:
        command += ["--set", setting]
    return command + ["--seed", "0", "--out", f"tatoeba-{architecture}", "--force", "--quiet"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=15.0, help="Training budget of each model.")
    args = parser.parse_args()
    os.chdir(ROOT)
    from zoo_core.cli.pictures import write_attention_png
    from zoo_core.modeling.loading import load_model
    from zoo_core.workflows import data_options
    from zoo_seq2seq.translate import Translator, choose_sampler

    rows = []
    for architecture in ARCHITECTURES:
        command = train_command(architecture, args.minutes)
        print("$", shlex.join(command), file=sys.stderr, flush=True)
        started = time.monotonic()
        zoo = str(Path(sys.executable).parent / "zoo")
        subprocess.run([zoo, *command[1:]], check=True)
        train_seconds = time.monotonic() - started
        model = load_model(f"tatoeba-{architecture}")
        task = model.task
        test = task.encode(task.load_eval(data_options(DATA, text_field="0", label_field="1", split="test")), model.vocabs)
        row = {"architecture": architecture, "command": shlex.join(command), "train_seconds": round(train_seconds, 1),
               "parameters": model.num_parameters(), "test_pairs": len(test),
               "training": {k: v for k, v in model.training_summary.items() if k not in ("test",)},
               "test_greedy": model.training_summary["test"]}  # `zoo train` evaluated the test split greedily
        started = time.monotonic()
        metrics = task.evaluate(model, test, sampler=choose_sampler(beam=5)[1])
        row["test_beam5"] = {**metrics, "decode_seconds": round(time.monotonic() - started, 1)}
        print(architecture, row["test_greedy"], row["test_beam5"], file=sys.stderr, flush=True)
        rows.append(row)
        if architecture == "gru-attn-seq2seq":
            drawn = Translator(model, beam=5).translate(PICTURE_SENTENCES, attention=True)
            write_attention_png(drawn, ROOT / "docs" / "translation-attention.png")
            row["examples"] = [{"input": r["input"], "prediction": r["prediction"]} for r in drawn]
    out = ROOT / "results" / "seq2seq" / "tatoeba-eng-fra.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"data": DATA, "minutes": args.minutes, "runs": rows}, indent=2) + "\n")
    print(f"wrote {out}", file=sys.stderr)
    write_docs(rows, args.minutes)
    print(table(rows))


def write_docs(rows: list[dict], minutes: float) -> None:
    """The table and commands between docs/translation.md's result markers."""
    doc = ROOT / "docs" / "translation.md"
    start, end = "<!-- seq2seq:results -->", "<!-- /seq2seq:results -->"
    text = doc.read_text(encoding="utf-8")
    commands = "\n".join(f"ZOO_HOME=/tmp/seq2seq-home {row['command']}" for row in rows)
    body = (f"English to French, `{DATA}`, pairs of at most 10 words on both sides, split by the md5 of the "
            f"English sentence (README rule); {rows[0]['test_pairs']:,} test pairs. Same encoder, sizes, seed and "
            f"time budget ({minutes:g} minutes of training each, on this 2-core CPU, run alone with 2 threads; the wall time below adds data loading and the greedy test decode); "
            "test BLEU from sacrebleu (13a, lower-cased references):\n\n"
            f"{table(rows)}\n\n{gap_line(rows)}\n\n"
            "Made by `OMP_NUM_THREADS=2 flock /tmp/zoo-heavy.lock .venv/bin/python plugins/seq2seq/experiments/tatoeba.py "
            f"--minutes {minutes:g}`, which runs\n\n```\n{commands}\n```\n\n"
            "then decodes the test split greedily and with `--beam 5` (`results/seq2seq/tatoeba-eng-fra.json` "
            "has every number). The attention of `gru-attn-seq2seq` (beam 5):\n\n"
            "![attention](translation-attention.png)\n")
    replace_between(doc, start, end, body)
    # docs/results.md: this plugin's own section (its other tables belong to `python -m tools.registry`).
    results = ROOT / "docs" / "results.md"
    start, end = "<!-- seq2seq:tatoeba begin -->", "<!-- seq2seq:tatoeba end -->"
    if start not in results.read_text(encoding="utf-8"):
        with results.open("a", encoding="utf-8") as handle:
            handle.write(f"\n## Translation: attention against none, English to French (Tatoeba)\n\n{start}\n{end}\n")
    replace_between(results, start, end, body + "\nMore in [translation.md](translation.md).\n")


def replace_between(path: Path, start: str, end: str, body: str) -> None:
    text = path.read_text(encoding="utf-8")
    if start in text and end in text:
        text = text[:text.index(start) + len(start)] + "\n" + body + text[text.index(end):]
        path.write_text(text, encoding="utf-8")


def gap_line(rows: list[dict]) -> str:
    """How far attention is ahead of none, greedy and beam 5."""
    by_name = {row["architecture"]: row for row in rows}
    attention, plain = by_name.get("gru-attn-seq2seq"), by_name.get("gru-seq2seq")
    if not (attention and plain):
        return ""
    greedy = attention["test_greedy"]["bleu"] - plain["test_greedy"]["bleu"]
    beam = attention["test_beam5"]["bleu"] - plain["test_beam5"]["bleu"]
    return f"Attention is ahead of no attention by **{greedy:.2f} BLEU greedy and {beam:.2f} with beam 5**."


def table(rows: list[dict]) -> str:
    lines = ["| architecture | test BLEU greedy | test BLEU beam 5 | test perplexity | epochs | `zoo train` wall time |",
             "|---|---|---|---|---|---|"]
    for row in rows:
        training = row["training"]
        lines.append(f"| `{row['architecture']}` | {row['test_greedy']['bleu']:.2f} | {row['test_beam5']['bleu']:.2f} | "
                     f"{row['test_greedy']['perplexity']:.2f} | {training['epochs']} (best {training['best_epoch']}) | "
                     f"{row['train_seconds'] / 60:.1f} min |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
