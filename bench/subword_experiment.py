"""Tatoeba English to French with BPE (tokenizer.type=bpe, 8,000 pieces a side) against the word vocabulary
(8,000 words a side) at the same 19-minute budget: test BLEU greedy and beam 5, and translations with <unk>.

Both runs repeat the command of `gru-attn-seq2seq` in results/seq2seq/tatoeba-eng-fra.json (the word baseline,
plugins/seq2seq/experiments/tatoeba.py, 19 minutes on 2 threads of a quiet machine) with only the tokenizer
changed. On a shared machine a 2-thread run's speed depends on what else runs (the first BPE run here made
half the baseline's steps a second), so --paired trains the word model again beside the BPE one, at once, one
thread each: the same load for both. The earlier 2-thread word run stays in the table as a reference.

    flock /tmp/zoo-heavy.lock .venv/bin/python bench/subword_experiment.py --minutes 19 --paired
    .venv/bin/python bench/subword_experiment.py --render-only   # docs/results.md's table from the JSON
    .venv/bin/python bench/subword_experiment.py --decode-only   # score the models of an earlier run again
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

REPO = Path(__file__).resolve().parents[1]
DATA = "../shared/data/tatoeba-eng-fra/fra.txt.gz"
BASELINE = REPO / "results" / "seq2seq" / "tatoeba-eng-fra.json"
RESULTS = REPO / "results" / "transfer" / "tatoeba-bpe.json"
DOC = REPO / "docs" / "results.md"
BEGIN, END = "<!-- subword-experiment:begin -->", "<!-- subword-experiment:end -->"
HOME = Path("/tmp/zoo-subword/zoo-home")


def baseline_run() -> dict:
    runs = json.loads(BASELINE.read_text(encoding="utf-8"))["runs"]
    return next(run for run in runs if run["architecture"] == "gru-attn-seq2seq")


def bpe_command(baseline: dict, minutes: float, vocab_size: int) -> list[str]:
    """The baseline's command with the word vocabulary swapped for BPE of the same size."""
    command = shlex.split(baseline["command"])
    command[command.index("tokenizer.max_size=8000")] = f"tokenizer.vocab_size={vocab_size}"
    command[command.index("training.max_minutes=19")] = f"training.max_minutes={minutes:g}"
    command[command.index("tatoeba-gru-attn-seq2seq")] = "tatoeba-bpe"
    at = command.index("--set")
    return [*command[:at], "--set", "tokenizer.type=bpe", *command[at:]]


def word_vocab_unknowns(test_references: list[str], train_targets: list[str], size: int) -> int:
    """Test references holding a word (the word tokenizer's) outside the ``size`` most frequent training words."""
    from zoo_core.data.vocab import Vocab, tokenize

    vocab = Vocab.build((tokenize(text) for text in train_targets), 1, size)
    return sum(any(token not in vocab for token in tokenize(text)) for text in test_references)


def word_command(baseline: dict, minutes: float) -> list[str]:
    """The baseline's own command again, under the same budget, to be run beside the BPE one."""
    command = shlex.split(baseline["command"])
    command[command.index("training.max_minutes=19")] = f"training.max_minutes={minutes:g}"
    command[command.index("tatoeba-gru-attn-seq2seq")] = "tatoeba-words"
    return command


def train(commands: dict[str, list[str]], threads: int) -> dict[str, float]:
    """Start every `zoo train` at once (one core each when threads=1), wait; wall seconds per run."""
    env = {**os.environ, "ZOO_HOME": str(HOME), "OMP_NUM_THREADS": str(threads)}
    started, processes = time.monotonic(), {}
    for name, command in commands.items():
        print("$", shlex.join(command), file=sys.stderr, flush=True)
        processes[name] = subprocess.Popen([str(Path(sys.executable).parent / "zoo"), *command[1:]], env=env)
    seconds = {}
    for name, process in processes.items():
        if process.wait() != 0:
            sys.exit(f"failed ({process.returncode}): {shlex.join(commands[name])}")
        seconds[name] = time.monotonic() - started
    return seconds


def score(model, pairs, command: list[str], train_seconds: float | None) -> dict:
    """Test BLEU greedy (the run's own) and beam 5 of a saved model on the test ``pairs``, and its translations
    holding <unk>; ``train_seconds`` None: the model's own training time (an earlier run's model)."""
    import sacrebleu

    from zoo_seq2seq.translate import Translator

    test = model.task.encode(pairs, model.vocabs)
    row = {"command": shlex.join(command),
           "train_seconds": round(model.training_summary["seconds"] if train_seconds is None else train_seconds, 1),
           "parameters": model.num_parameters(), "test_pairs": len(test),
           "source_pieces": len(model.vocabs["tokens"]), "target_pieces": len(model.vocabs["target"]),
           "training": {k: v for k, v in model.training_summary.items() if k != "test"},
           "test_greedy": model.training_summary["test"]}
    started = time.monotonic()
    translations = Translator(model, beam=5).translate([pair.source for pair in pairs])
    bleu = sacrebleu.corpus_bleu([r["prediction"] for r in translations], [[e[2] for e in test]]).score
    row["test_beam5"] = {"bleu": bleu, "decode_seconds": round(time.monotonic() - started, 1)}
    row["unk_translations_beam5"] = sum("<unk>" in record["tokens"] or "<unk>" in record["prediction"]
                                        for record in translations)
    row["examples"] = [{"input": r["input"], "prediction": r["prediction"]} for r in translations[:5]]
    print(json.dumps({k: row[k] for k in ("test_greedy", "test_beam5", "unk_translations_beam5")}), file=sys.stderr)
    return row


def run(args) -> dict:
    os.chdir(REPO)
    from zoo_core.modeling.loading import load_model
    from zoo_core.workflows import data_options

    baseline = baseline_run()
    commands = {"tatoeba-bpe": bpe_command(baseline, args.minutes, args.vocab_size)}
    if args.paired:
        commands["tatoeba-words"] = word_command(baseline, args.minutes)
    seconds = {} if args.decode_only else train(commands, 1 if args.paired else 2)
    os.environ["ZOO_HOME"] = str(HOME)
    models = {name: load_model(name) for name in commands}
    task = models["tatoeba-bpe"].task  # the test pairs are the same raw text whatever the tokenizer
    pairs = task.load_eval(data_options(DATA, text_field="0", label_field="1", split="test"))
    rows = {name: score(model, pairs, commands[name], seconds.get(name)) for name, model in models.items()}
    train_pairs = task.load_splits(data_options(DATA, text_field="0", label_field="1")).train
    rows["tatoeba-bpe"]["references_beyond_word_vocab"] = word_vocab_unknowns(
        [task.reference(p.target) for p in pairs], [task.reference(p.target) for p in train_pairs], 8000)
    results = {"data": DATA, "minutes": args.minutes, "paired": args.paired, "bpe": rows["tatoeba-bpe"],
               "words": rows.get("tatoeba-words"),
               "baseline": {key: baseline[key] for key in ("command", "train_seconds", "training", "test_greedy",
                                                           "test_beam5")},
               "baseline_source": str(BASELINE.relative_to(REPO))}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    temporary = RESULTS.with_suffix(".tmp")
    temporary.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    temporary.replace(RESULTS)
    return results


def table(results: dict) -> str:
    bpe, words, reference = results["bpe"], results.get("words"), results["baseline"]
    rows = ["| vocabulary | run | test BLEU greedy | test BLEU beam 5 | translations with `<unk>` (beam 5) | "
            "epochs (best) | optimizer steps | `zoo train` wall time |", "|---|---|---|---|---|---|---|---|"]
    not_kept = (f"model not kept; {bpe['references_beyond_word_vocab']:,} of {bpe['test_pairs']:,} references hold "
                "a word outside it")
    entries = [("words, 8,000 a side", "earlier, 2 threads, quiet machine", reference, not_kept)]
    together = "1 thread, beside the other" if results.get("paired") else "2 threads, shared machine"
    if words:
        entries.append(("words, 8,000 a side", together, words,
                        f"{words['unk_translations_beam5']:,} of {words['test_pairs']:,}"))
    entries.append((f"BPE, {bpe['target_pieces']:,} pieces a side", together, bpe,
                    f"{bpe['unk_translations_beam5']} of {bpe['test_pairs']:,}"))
    for label, when, run, unknown in entries:
        training = run["training"]
        rows.append(f"| {label} | {when} | {run['test_greedy']['bleu']:.2f} | {run['test_beam5']['bleu']:.2f} | "
                    f"{unknown} | {training['epochs']} ({training['best_epoch']}) | "
                    f"{training.get('optimizer_steps', 0):,} | {run['train_seconds'] / 60:.1f} min |")
    against = words or reference
    gain = bpe["test_beam5"]["bleu"] - against["test_beam5"]["bleu"]
    verdict = "met" if gain >= 2 else "**not met**"
    return "\n".join([
        f"`gru-attn-seq2seq`, English to French, `{results['data']}`, trained on pairs of at most 10 words a side, "
        f"the README's md5 split; {results['minutes']:g} minutes of training each; sacrebleu 13a on lower-cased "
        f"references. Only the tokenizer differs. Greedy BLEU is `zoo train`'s own test score, on the "
        f"{bpe['training']['examples']['test']:,} test pairs of at most 10 words; beam 5 scores every pair of the "
        f"test split ({bpe['test_pairs']:,}, as `zoo eval` does), except in the earlier run's row, which scored "
        "the same 15,033 pairs both ways.", "", *rows, "",
        f"BPE against words {'trained beside it' if words else '(the earlier run)'}, beam 5: **{gain:+.2f} BLEU** "
        f"(target +2: {verdict}).", "",
        "Command: `flock /tmp/zoo-heavy.lock .venv/bin/python bench/subword_experiment.py "
        f"--minutes {results['minutes']:g}{' --paired' if results.get('paired') else ''}`, which runs "
        f"`{bpe['command']}`{' and the same with the word vocabulary' if words else ''}; "
        "JSON: `results/transfer/tatoeba-bpe.json`."])


def render() -> None:
    text = DOC.read_text(encoding="utf-8")
    if BEGIN not in text:
        sys.exit(f"{DOC}: no {BEGIN} marker")
    head, rest = text.split(BEGIN, 1)
    results = json.loads(RESULTS.read_text(encoding="utf-8"))
    DOC.write_text(head + BEGIN + "\n" + table(results) + "\n" + END + rest.split(END, 1)[1], encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=19.0)
    parser.add_argument("--vocab-size", type=int, default=8000)
    parser.add_argument("--render-only", action="store_true")
    parser.add_argument("--paired", action="store_true",
                        help="train the word-vocabulary model again beside the BPE one, one thread each, at once: "
                             "the same machine load for both")
    parser.add_argument("--decode-only", action="store_true",
                        help="score the model an earlier run saved under " + str(HOME) + " instead of training")
    args = parser.parse_args()
    if not args.render_only:
        run(args)
    if BEGIN in DOC.read_text(encoding="utf-8"):
        render()


if __name__ == "__main__":
    main()
