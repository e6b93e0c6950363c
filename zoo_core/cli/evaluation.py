"""`zoo eval`: a saved model's metrics on a data set, led by what was scored (file, split, examples)."""
from __future__ import annotations

import click

from zoo_core.cli.options import batch_size_option, data_option_flags, device_option
from zoo_core.cli.output import echo_json, metric_text
from zoo_core.errors import ZooError


@click.command("eval")
@click.argument("model")
@data_option_flags
@click.option("--split", type=click.Choice(["train", "valid", "test"]),
              help="Score only the examples the data's split rule puts here (left out: every example of --data).")
@click.option("--beam", type=int, help="seq2seq: decode with beam search of this width (left out: greedy).")
@device_option
@batch_size_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def eval_command(model, data, data_format, text_field, label_field, split, beam, device, batch_size, as_json):
    """Evaluate a saved MODEL on every example of --data (or on one split of it, --split)."""
    from zoo_core.workflows import evaluate

    if not data:
        raise ZooError("zoo eval needs --data PATH")
    options = {"beam": beam} if beam is not None else {}
    metrics = evaluate(model, data, split=split, device=device, batch_size=batch_size, format=data_format,
                       text_field=text_field, label_field=label_field, **options)
    if as_json:
        return echo_json(metrics)
    for key, value in metrics.items():
        # Nested metrics (per tag type, per class) print one line per entry: "per_type.NP\tprecision=... f1=...".
        for name, item in (value.items() if isinstance(value, dict) else [(None, value)]):
            shown = (" ".join(f"{k}={metric_text(v)}" for k, v in item.items()) if isinstance(item, dict)
                     else metric_text(item))
            click.echo(f"{key}.{name}\t{shown}" if name is not None else f"{key}\t{shown}")
