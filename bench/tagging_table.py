"""Write the tagging results table (results/tagging/*.json) into docs/results.md between its markers."""
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEGIN, END = "<!-- tagging:begin -->", "<!-- tagging:end -->"
ROWS = [  # (result file, task, what differs)
    ("pos-bilstm", "POS (col 2)", "final: BiLSTM + char-CNN, softmax"),
    ("chunk-bilstm-crf", "chunking (col 3)", "final: BiLSTM + char-CNN + CRF"),
    ("cmp-pos-lstm", "POS (col 2)", "LSTM (unidirectional), softmax"),
    ("cmp-pos-bilstm", "POS (col 2)", "BiLSTM, softmax"),
    ("cmp-chunk-lstm", "chunking (col 3)", "LSTM (unidirectional), softmax"),
    ("cmp-chunk-bilstm", "chunking (col 3)", "BiLSTM, softmax"),
    ("cmp-chunk-bilstm-crf", "chunking (col 3)", "BiLSTM, CRF"),
    ("cmp-polarity-lstm", "polarity", "lstm-classifier (unidirectional)"),
    ("cmp-polarity-bilstm", "polarity", "bilstm-classifier"),
]


def pct(value):
    return f"{100 * value:.2f}" if isinstance(value, (int, float)) else "-"


def table() -> str:
    lines = ["| task | model | test accuracy % (per token; polarity: per sentence) | test span F1 % | budget (min) | epochs | parameters | command |",
             "|---|---|---|---|---|---|---|---|"]
    for name, task, what in ROWS:
        path = ROOT / "results" / "tagging" / f"{name}.json"
        if not path.is_file():
            continue
        result = json.loads(path.read_text())
        test = result.get("test") or {}
        f1 = pct(test["f1"]) if "f1" in test else "-"
        lines.append(f"| {task} | {what} | {pct(test.get('accuracy'))} | {f1} | {result['budget_minutes']:g} | "
                     f"{result['epochs']} | {result['parameters']:,} | `{result['command']}` |")
    return "\n".join(lines)


def main() -> None:
    path = ROOT / "docs" / "results.md"
    text = path.read_text()
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    path.write_text(text[:start] + "\n" + table() + "\n" + text[end:])
    print(f"wrote the tagging table into {path}")


if __name__ == "__main__":
    main()
