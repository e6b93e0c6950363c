"""PNG pictures of training runs: learning curves and comparison summaries.

matplotlib is an optional extra (`pip install 'zoo-core[plot]'`); it is imported only here, only when drawing.
"""
from __future__ import annotations

from pathlib import Path

from zoo_core.errors import ZooError

INSTALL_HINT = "pip install 'zoo-core[plot]'"


def pyplot(option: str = "plotting"):
    """matplotlib's pyplot with a file-only backend, or a one-line error naming what to install."""
    try:
        import matplotlib
    except ImportError:
        raise ZooError(f"{option} needs matplotlib, which is not installed; run `{INSTALL_HINT}`") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def check_plotting(option: str) -> None:
    """Fail before a long job starts when its pictures could not be drawn."""
    pyplot(option)


def _metric_keys(history: list[dict]) -> list[str]:
    keys = [k for k in (history[0] if history else {}) if k.startswith("valid_") and k != "valid_loss"]
    return keys or ["train_loss"]


def plot_training_curves(history: list[dict], png: Path, title: str = "") -> Path:
    """Per-epoch training loss and validation metrics of one run (`zoo train --plot`)."""
    plt = pyplot("--plot")
    epochs = [row["epoch"] for row in history]
    figure, (loss_axis, metric_axis) = plt.subplots(1, 2, figsize=(10, 4))
    loss_axis.plot(epochs, [row["train_loss"] for row in history], marker="o", label="train loss")
    if any("valid_loss" in row for row in history):
        loss_axis.plot(epochs, [row.get("valid_loss") for row in history], marker="o", label="valid loss")
    loss_axis.set(xlabel="epoch", ylabel="loss", title="loss")
    loss_axis.legend()
    for key in _metric_keys(history):
        metric_axis.plot(epochs, [row.get(key) for row in history], marker="o", label=key)
    metric_axis.set(xlabel="epoch", title="validation")
    from matplotlib.ticker import MaxNLocator

    for axis in (loss_axis, metric_axis):
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    metric_axis.legend()
    for axis in (loss_axis, metric_axis):
        axis.grid(alpha=0.3)
    if title:
        figure.suptitle(title)
    return _save(plt, figure, png)


def _mean_curve(histories: list[list[dict]], key: str) -> tuple[list[float], list[float], list[float]]:
    """Epoch, mean wall time and mean metric at each epoch over the seeds that reached it (early stopping ends some)."""
    epochs, elapsed, values = [], [], []
    for i in range(max(len(h) for h in histories)):
        points = [h[i] for h in histories if len(h) > i and h[i].get(key) is not None]
        if not points:
            continue
        epochs.append(i + 1)
        elapsed.append(sum(p.get("elapsed", 0.0) for p in points) / len(points))
        values.append(sum(p[key] for p in points) / len(points))
    return epochs, elapsed, values


def plot_comparison_curves(rows: list[dict], summary: list[dict], png: Path) -> Path:
    """Validation metric against epoch and against wall time, one line (mean over seeds) per configuration."""
    plt = pyplot("curves.png")
    from matplotlib.ticker import MaxNLocator
    metric = next((s["metric"] for s in summary if s["metric"]), None)
    key = f"valid_{metric}" if metric else "train_loss"
    figure, (epoch_axis, time_axis) = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True)
    for entry in summary:
        histories = [r["history"] for r in rows if r.get("config") == entry["config"] and r.get("status") == "ok"
                     and r.get("history")]
        if not histories:
            continue
        epochs, elapsed, values = _mean_curve(histories, key)
        label = f"{entry['config']} (n={len(histories)})"
        epoch_axis.plot(epochs, values, marker="o", label=label)
        time_axis.plot(elapsed, values, marker="o", label=label)
    epoch_axis.set(xlabel="epoch", ylabel=f"validation {metric or 'loss'} (mean over seeds)")
    epoch_axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    time_axis.set(xlabel="wall time (s)")
    for axis in (epoch_axis, time_axis):
        axis.grid(alpha=0.3)
    epoch_axis.legend(fontsize="small")
    return _save(plt, figure, png)


def plot_comparison_summary(summary: list[dict], png: Path) -> Path:
    """Bars of the mean validation and test metric per configuration, with their standard deviation."""
    plt = pyplot("summary.png")
    entries = [s for s in summary if s["valid_mean"] is not None]
    metric = next((s["metric"] for s in entries), "metric")
    figure, axis = plt.subplots(figsize=(max(5.0, 1.6 * len(entries) + 2), 4.5))
    positions = range(len(entries))
    width = 0.38
    bars = [axis.bar([p - width / 2 for p in positions], [s["valid_mean"] for s in entries], width,
                     yerr=[s["valid_std"] for s in entries], capsize=4, label=f"valid {metric}")]
    if any(s["test_mean"] is not None for s in entries):
        bars.append(axis.bar([p + width / 2 for p in positions], [s["test_mean"] or 0.0 for s in entries], width,
                             yerr=[s["test_std"] or 0.0 for s in entries], capsize=4, label=f"test {metric}"))
    for group in bars:
        axis.bar_label(group, fmt="%.3f", padding=2, fontsize="small")
    ends = [(s[f"{k}_mean"] - s[f"{k}_std"], s[f"{k}_mean"] + s[f"{k}_std"])
            for s in entries for k in ("valid", "test") if s[f"{k}_mean"] is not None]
    if ends:  # zoom on the differences, error bars and labels included
        low, high = min(e[0] for e in ends), max(e[1] for e in ends)
        margin = max(high - low, 0.05) * 0.2
        axis.set_ylim(max(0.0, low - margin), high + margin)
    axis.set_xticks(list(positions))
    axis.set_xticklabels([s["config"] for s in entries], rotation=15, ha="right", fontsize="small")
    axis.set_ylabel(f"{metric} (mean ± sd over seeds)")
    axis.grid(axis="y", alpha=0.3)
    axis.legend()
    return _save(plt, figure, png)


def _save(plt, figure, png: Path) -> Path:
    png = Path(png)
    png.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(png, dpi=110)
    plt.close(figure)
    return png
