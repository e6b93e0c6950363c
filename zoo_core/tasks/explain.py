"""`zoo run --explain`: each token's attention weight, shaded in the terminal or drawn to a PNG."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import torch

from zoo_core.errors import ZooError
from zoo_core.modeling.batching import pad
from zoo_core.modeling.interfaces import Pooler

SHADE_TO = (255, 140, 0)  # orange at the sentence's largest weight, white at zero


def require_attention(model) -> None:
    """One clear line when the model's pooler has no attention to show."""
    pooler = getattr(model.head, "pooler", None)
    if pooler is None or type(pooler).attention is Pooler.attention:  # the base class has none
        pooling = getattr(getattr(model.config.head, "pooling", None), "type", "none")
        raise ZooError(
            f"--explain needs attention pooling; this {model.config.architecture} model pools with '{pooling}' "
            "(train one with attention, e.g. bilstm-attn-classifier or --set head.pooling=attention)"
        )


@torch.no_grad()
def attention_weights(model, texts: list[str]) -> list[tuple[list[str], list[float]]]:
    """Each text's tokens (as the model sees them) and the pooler's weight on each."""
    require_attention(model)
    task, vocab = model.task, model.vocabs["tokens"]
    tokens = [task.tokens(text) or ["<unk>"] for text in texts]
    ids = [vocab.encode(words) for words in tokens]
    model.eval()
    padded, lengths = pad(ids, model.device)
    batch = {"tokens": padded, "lengths": lengths}
    encoded = model.encode(padded, lengths, batch=batch)
    weights = model.head.pooler.attention(encoded, model.mask(batch))
    if weights is None:
        raise ZooError(f"--explain: the '{model.config.head.pooling.type}' pooler of this model gave no attention "
                       "weights; use a model that pools with attention (e.g. bilstm-attn-classifier)")
    return [(words, weights[row, : len(words)].float().cpu().tolist()) for row, words in enumerate(tokens)]


def explain(model, texts: list[str]) -> list[dict]:
    """The task's predictions with `tokens` and `weights` added (the `--explain --json` records)."""
    results = model.task.predict(model, texts)
    for result, (words, weights) in zip(results, attention_weights(model, texts)):
        result["tokens"] = words
        result["weights"] = [round(w, 6) for w in weights]
    return results


def shade(token: str, strength: float) -> str:
    """A token on a background from white (0) to orange (1), in black text."""
    r, g, b = (round(255 + (end - 255) * strength) for end in SHADE_TO)
    return f"\x1b[48;2;{r};{g};{b}m\x1b[38;2;0;0;0m{token}\x1b[0m"


def render(result: dict, color: bool) -> str:
    """One line: label, probability, then the tokens shaded by weight (or `token[weight]` without color)."""
    label = result["prediction"]
    top = max(result["weights"]) or 1.0
    if color:
        text = " ".join(shade(t, w / top) for t, w in zip(result["tokens"], result["weights"]))
    else:
        text = " ".join(f"{t}[{w:.3f}]" for t, w in zip(result["tokens"], result["weights"]))
    return f"{label}\t{result['probabilities'][label]:.3f}\t{text}"


def use_color(stream=None) -> bool:
    stream = stream or sys.stdout
    return hasattr(stream, "isatty") and stream.isatty() and "NO_COLOR" not in os.environ


def write_png(results: list[dict], path: str | Path, title: str = "", width_chars: int = 72,
              headers: list[str] | None = None) -> Path:
    """Draw each result's tokens on boxes shaded by weight (relative to that sentence's largest).

    ``headers`` replaces the line above each sentence (default: predicted label and probability).
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot as plt
        from matplotlib.colors import LinearSegmentedColormap
        from matplotlib.patches import Rectangle
    except ImportError:
        raise ZooError("--explain-png needs matplotlib; install it with: pip install 'zoo-core[plot]'") from None
    path = Path(path)
    if path.parent and not path.parent.is_dir():
        raise ZooError(f"--explain-png {path}: folder {path.parent} does not exist; create it or pick another path")
    cmap = LinearSegmentedColormap.from_list("weight", ["#ffffff", "#%02x%02x%02x" % SHADE_TO])
    rows: list[tuple] = []  # (kind, payload) laid out top to bottom
    for number, result in enumerate(results):
        label = result["prediction"]
        rows.append(("header", headers[number] if headers else f"{label} ({result['probabilities'][label]:.2f})"))
        top = max(result["weights"]) or 1.0
        line, used = [], 0
        for token, weight in zip(result["tokens"], result["weights"]):
            if line and used + len(token) > width_chars:
                rows.append(("tokens", line))
                line, used = [], 0
            line.append((used, token, weight / top))
            used += len(token) + 1
        rows.append(("tokens", line))
        rows.append(("gap", None))
    rows.pop()  # no gap after the last sentence
    font, char_in = 11, 11 * 0.6 / 72  # monospace: a character is about 0.6 em wide
    top, body, bottom = (0.45 if title else 0.15), len(rows) * 0.3, 0.75  # inches
    height = top + body + bottom
    fig = plt.figure(figsize=(width_chars * char_in + 1.2, height))
    ax = fig.add_axes([0.02, bottom / height, 0.96, body / height])
    ax.set_xlim(-0.5, width_chars + 0.5)
    ax.set_ylim(len(rows), -0.5)
    ax.axis("off")
    for y, (kind, payload) in enumerate(rows):
        if kind == "header":
            ax.text(0, y, payload, family="monospace", fontsize=font - 1, va="center", color="#555555")
        elif kind == "tokens":
            for x, token, strength in payload:
                ax.add_patch(Rectangle((x - 0.3, y - 0.42), len(token) + 0.6, 0.84, color=cmap(strength), lw=0))
                ax.text(x, y, token, family="monospace", fontsize=font, va="center")
    if title:
        ax.set_title(title, fontsize=font, loc="left")
    scale = fig.add_axes([0.3, 0.45 / height, 0.4, 0.12 / height])
    fig.colorbar(plt.cm.ScalarMappable(cmap=cmap), cax=scale, orientation="horizontal",
                 label="weight / sentence's largest weight")
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
