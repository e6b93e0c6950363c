"""What the CLI prints: JSON, metric values, config sections. Results go to stdout, notices to stderr."""
from __future__ import annotations

import json

import click


def echo_json(value) -> None:
    click.echo(json.dumps(value, indent=2, default=str))


def metric_text(value) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)
