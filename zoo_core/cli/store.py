"""`zoo models` and `zoo models rm`: the saved models in the store (ZOO_HOME)."""
from __future__ import annotations

from datetime import datetime

import click

from zoo_core.cli.output import echo_json


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def models(ctx, as_json: bool):
    """Saved models in the store (ZOO_HOME)."""
    from zoo_core.io.artifacts import checked_rows
    from zoo_core.io.store import models_dir

    if ctx.invoked_subcommand is not None:
        return
    rows = checked_rows()
    if as_json:
        return echo_json(rows)
    if not rows:
        click.echo(f"no saved models in {models_dir()}", err=True)
        return
    for row in rows:
        if "error" in row:  # listed, never fatal: the other models are still shown
            click.echo(f"{row['name']}  BROKEN  {row['error']}")
            continue
        value = row.get("value")
        metric = f"{row.get('metric')}={value:.4f}" if isinstance(value, (int, float)) else "-"
        date = datetime.fromtimestamp(row["modified"]).strftime("%Y-%m-%d %H:%M")
        unsealed = "" if row.get("checksums", True) else "  (format 1: no checksums)"
        click.echo(f"{row['name']}  {row['architecture']}  {row['task']}  {metric}  {row['size'] / 1e6:.1f} MB  {date}"
                   f"{unsealed}")


@models.command("rm")
@click.argument("name")
def models_rm(name: str):
    """Delete saved model NAME and its metrics."""
    from zoo_core.io.store import remove

    click.echo(f"removed {remove(name)}")
