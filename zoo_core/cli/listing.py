"""`zoo list`, `zoo info`, `zoo plugins` (and `zoo plugins new`): what is installed, without importing torch."""
from __future__ import annotations

import json
import shlex
from typing import Optional

import click

from zoo_core.cli.output import echo_json


@click.command("list")
@click.argument("pattern", required=False)
@click.option("--task", help="Only architectures for this task (classify, lm, tag, seq2seq).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--results", "with_results", is_flag=True, help="Show each architecture's reference result (results/).")
def list_command(pattern: Optional[str], task: Optional[str], as_json: bool, with_results: bool):
    """List architectures whose name matches PATTERN (wildcards: "*lstm*")."""
    from zoo_core.extension.registry import get_registry

    reg = get_registry()
    names = reg.list_models(pattern, task)
    rows = [{"name": n, "task": reg.architectures[n].task, "plugin": reg.architectures[n].plugin,
             "description": reg.architectures[n].description} for n in names]
    if with_results:
        from zoo_core.experiments.reference_results import list_with_results  # only here: results/ tables

        return list_with_results(rows, as_json)
    if as_json:
        return echo_json(rows)
    if not rows:
        click.echo("no architectures match" + (f" '{pattern}'" if pattern else ""), err=True)
        return
    width = max(len(r["name"]) for r in rows)
    for row in rows:
        click.echo(f"{row['name']:<{width}}  {row['task']:<9} {row['description']}")


@click.command()
@click.argument("name")
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE", help="Show the config with this change.")
@click.option("--vocab-size", default=10000, show_default=True, help="Vocabulary size for the parameter count.")
@click.option("--json", "as_json", is_flag=True, help="Print the config, its JSON schema and the parameter count as JSON.")
def info(name: str, settings: tuple[str, ...], vocab_size: int, as_json: bool):
    """Show an architecture's config (defaults, bounds, descriptions) and size, or a trained MODEL's training summary."""
    from zoo_core.config.overrides import parse_set_options
    from zoo_core.experiments.training_reports import describe_training, is_trained_model, model_summary
    from zoo_core.extension.registry import get_registry

    reg = get_registry()
    if name not in reg.architectures and is_trained_model(name):
        summary = model_summary(name)
        return echo_json(summary) if as_json else click.echo("\n".join(describe_training(summary)))
    arch = reg.architecture(name)
    config = reg.resolve(name, parse_set_options(settings))
    parameters = count_parameters(config, vocab_size)
    if as_json:
        return echo_json({"name": name, "task": arch.task, "plugin": arch.plugin, "description": arch.description,
                          "config": config.to_dict(), "schema": reg.json_schema(config),
                          "parameters": parameters, "vocab_size": vocab_size})
    click.echo(f"{name}  ({arch.task}, plugin {arch.plugin})\n{arch.description}\n")
    for section, model in reg.section_models(config).items():
        for line in describe_section(section, model, getattr(config, section)):
            click.echo(line)
    click.echo(f"\nparameters: {parameters:,} (at vocabulary size {vocab_size:,})")


def describe_section(section: str, model, value) -> list[str]:
    lines = []
    for field_name, field in model.model_fields.items():
        current = getattr(value, field_name)
        if hasattr(current, "model_fields"):
            lines += describe_section(f"{section}.{field_name}", type(current), current)
            continue
        bounds = ", ".join(f"{type(m).__name__.lower()} {getattr(m, type(m).__name__.lower(), '')}"
                           for m in field.metadata if hasattr(m, type(m).__name__.lower()))
        bounds = f" [{bounds}]" if bounds else ""
        lines.append(f"  {section}.{field_name} = {json.dumps(current)}{bounds}  {field.description or ''}".rstrip())
    return lines


def count_parameters(config, vocab_size: int) -> int:
    """Parameters of the architecture at a stated vocabulary size (the only place `info` imports torch)."""
    from zoo_core.modeling.model import ZooModel
    from zoo_core.workflows import placeholder_vocabs

    return ZooModel(config, placeholder_vocabs(vocab_size)).num_parameters()


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def plugins(ctx, as_json: bool):
    """Installed plugins: version, what each registered, architectures unavailable here (and why), and any failure."""
    from zoo_core.extension.registry import get_registry

    if ctx.invoked_subcommand is not None:
        return
    infos = list(get_registry().plugins.values())
    if as_json:
        return echo_json([info.__dict__ | {"ok": info.ok} for info in infos])
    for info in infos:
        status = "ok" if info.ok else "FAILED"
        click.echo(f"{info.name} ({info.distribution} {info.version}) {status}")
        if info.registered:
            click.echo(f"  registers: {', '.join(info.registered)}")
        for name, reason in info.unavailable.items():
            click.echo(f"  unavailable: {name}: {reason}")
        for error in info.errors:
            click.echo(f"  error: {error}")


@plugins.command("new")
@click.argument("name")
@click.option("--path", "directory", default=".", show_default=True, help="Folder to create the package in.")
def plugins_new(name: str, directory: str):
    """Write a ready plugin package zoo-NAME: an example encoder, an architecture, tests (docs/plugins.md)."""
    from zoo_core.cli.scaffold import write_plugin

    root = write_plugin(name, directory)
    folder = shlex.quote(str(root))  # pasted into a shell as is, even with a space in the path
    click.echo(f"wrote {root}\nnext: pip install -e {folder} && zoo list '{name}*' && pytest {folder}")
