"""`zoo eval`: a saved model's metrics on a data set."""
from __future__ import annotations

import click

from zoo_core.cli.options import data_option_flags
from zoo_core.cli.output import echo_json, metric_text
from zoo_core.errors import ZooError


@click.command("eval")
@click.argument("model")
@data_option_flags
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def eval_command(model, data, data_format, text_field, label_field, as_json):
    """Evaluate a saved MODEL on --data (its test split when the data has one)."""
    from zoo_core.workflows import evaluate

    if not data:
        raise ZooError("zoo eval needs --data PATH")
    metrics = evaluate(model, data, format=data_format, text_field=text_field, label_field=label_field)
    if as_json:
        return echo_json(metrics)
    for key, value in metrics.items():
        # Nested metrics (per tag type) print one line per entry: "per_type.NP\tprecision=... f1=...".
        for name, item in (value.items() if isinstance(value, dict) else [(None, value)]):
            shown = (" ".join(f"{k}={metric_text(v)}" for k, v in item.items()) if isinstance(item, dict)
                     else metric_text(item))
            click.echo(f"{key}.{name}\t{shown}" if name is not None else f"{key}\t{shown}")
