"""The PNGs `zoo run` draws: token weights (`--explain-png`) and attention matrices (`--attention-png`).
matplotlib is an optional extra; a missing one is one line naming what to install."""
from __future__ import annotations

from pathlib import Path

from zoo_core.cli.presentation import SHADE_TO
from zoo_core.errors import ZooError


def write_token_weights_png(results: list[dict], path: str | Path, title: str = "", width_chars: int = 72,
              headers: list[str] | None = None) -> Path:
    """Draw each result's tokens on boxes shaded by weight (relative to that sentence's largest).

    ``headers`` replaces the line above each sentence (default: predicted label and probability).
    """
    from zoo_core.experiments.plots import pyplot

    path = Path(path)
    if path.parent and not path.parent.is_dir():
        raise ZooError(f"--explain-png {path}: folder {path.parent} does not exist; create it or pick another path")
    plt = pyplot("--explain-png")
    from matplotlib.colors import LinearSegmentedColormap
    from matplotlib.patches import Rectangle

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


def write_attention_png(results: list[dict], path) -> str:
    """One attention matrix per sentence (target tokens down, source tokens across)."""
    from zoo_core.experiments.plots import pyplot

    path = Path(path)
    if not path.parent.is_dir():
        raise ZooError(f"--attention-png {path}: folder {path.parent} does not exist; create it or pick another path")
    shown = [r for r in results if r.get("attention")][:4]
    plt = pyplot("--attention-png")
    figure, axes = plt.subplots(len(shown), 1, squeeze=False,
                                figsize=(max(4.0, 0.55 * max(len(r["source_tokens"]) for r in shown) + 2),
                                         sum(0.45 * len(r["attention"]) + 1.2 for r in shown)))
    for axis, result in zip(axes[:, 0], shown):
        axis.imshow(result["attention"], cmap="Greys", vmin=0.0, vmax=1.0, aspect="auto")
        axis.set_xticks(range(len(result["source_tokens"])), result["source_tokens"], rotation=45, ha="right")
        axis.set_yticks(range(len(result["attention"])), [*result["tokens"], "</s>"][:len(result["attention"])])
        axis.set_title(f"{result['input']}  →  {result['prediction']}", fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return str(path)
