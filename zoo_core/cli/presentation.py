"""How `zoo run` shows a task's records as text: one renderer per first-party task, the prediction for others.

Tasks return records (the `--json` schema per task, README); turning them into lines, colours and aligned
columns happens only here, so `zoo run`, `zoo eval` and a server show the same thing.
"""
from __future__ import annotations

import json
import os
import sys

import click

SHADE_TO = (255, 140, 0)  # orange at the sentence's largest weight, white at zero


def echo_record(record: dict, as_json: bool, task: str, color: bool = False) -> None:
    """One `zoo run` result on stdout: the record as one JSON line, else the task's text form."""
    click.echo(json.dumps(record, ensure_ascii=False) if as_json else render(record, task, color))


def render(record: dict, task: str, color: bool = False) -> str:
    renderer = RENDERERS.get(task)
    return renderer(record, color) if renderer else str(record.get("prediction"))


def render_classification(record: dict, color: bool) -> str:
    """Label, its probability, then the text (or, with --explain, its tokens shaded by weight)."""
    label = record["prediction"]
    if "weights" not in record:
        return f"{label}\t{record['probabilities'][label]:.3f}\t{record['input']}"
    return render_token_weights(record, color)


def render_tags(record: dict, color: bool) -> str:
    """One word and its tag a line, the tags aligned; a blank line after each sentence."""
    width = max(len(token) for token in record["tokens"])
    lines = [f"{token:<{width}}  {tag}" for token, tag in zip(record["tokens"], record["prediction"])]
    return "\n".join(lines) + "\n"


def shade(token: str, strength: float) -> str:
    """A token on a background from white (0) to orange (1), in black text."""
    r, g, b = (round(255 + (end - 255) * strength) for end in SHADE_TO)
    return f"\x1b[48;2;{r};{g};{b}m\x1b[38;2;0;0;0m{token}\x1b[0m"


def render_token_weights(result: dict, color: bool) -> str:
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


RENDERERS = {"classify": render_classification, "tag": render_tags}
