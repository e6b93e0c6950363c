"""Draw a language model's training curve (loss in nats per token against minutes of training).

    .venv/bin/python bench/lm_curve.py MODEL docs/lm-tinyshakespeare-curve.png --target 1.55
"""
from __future__ import annotations

import argparse
import json

from zoo_core.io.store import metrics_path, model_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="store name or .safetensors path (its NAME.metrics.jsonl is read)")
    parser.add_argument("png")
    parser.add_argument("--target", type=float, help="draw a horizontal line at this validation loss")
    args = parser.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    rows = [json.loads(line) for line in metrics_path(model_path(args.model)).read_text().splitlines() if line]
    minutes = [row["elapsed"] / 60 for row in rows]
    figure, axis = plt.subplots(figsize=(7, 4))
    axis.plot(minutes, [row["train_loss"] for row in rows], marker="o", label="train (mean over the epoch)")
    axis.plot(minutes, [row["valid_loss"] for row in rows], marker="o", label="validation")
    if args.target:
        axis.axhline(args.target, color="gray", linestyle="--", label=f"target {args.target}")
    axis.set_xlabel("minutes of training (end of each epoch)")
    axis.set_ylabel("loss (nats per character)")
    axis.set_title(f"{args.model}: {rows[-1]['epoch']} epochs, best validation {min(r['valid_loss'] for r in rows):.3f}")
    axis.grid(alpha=0.3)
    axis.legend()
    figure.tight_layout()
    figure.savefig(args.png, dpi=100)
    print(f"wrote {args.png}")


if __name__ == "__main__":
    main()
