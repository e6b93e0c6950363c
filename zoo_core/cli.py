"""The `zoo` command. Listing commands never import torch; the others import it when they run."""
from __future__ import annotations

import json
import os
import sys
import warnings
from datetime import datetime
from pathlib import Path
from typing import Optional

import click

from zoo_core import __version__
from zoo_core.errors import ZooError


class ZooGroup(click.Group):
    """Shows a ZooError as one line on stderr with a non-zero exit, never a traceback."""

    def invoke(self, ctx):
        # Warnings (e.g. a model saved by a newer plugin) read as one line too.
        warnings.formatwarning = lambda message, *args, **kwargs: f"zoo: warning: {message}\n"
        try:
            return super().invoke(ctx)
        except ZooError as error:
            click.echo(f"zoo: error: {error}", err=True)
            if "torch.distributed" in sys.modules and sys.modules["torch.distributed"].is_initialized():
                # A process of a distributed run: leave now, before the process group's threads are
                # torn down at exit (that aborts and can swallow the line above).
                sys.stderr.flush()
                os._exit(getattr(error, "exit_code", 1))
            sys.exit(1)


def registry():
    from zoo_core.registry import get_registry

    return get_registry()


def echo_json(value) -> None:
    click.echo(json.dumps(value, indent=2, default=str))


@click.group(cls=ZooGroup)
@click.version_option(__version__, prog_name="zoo")
def main():
    """RNN Zoo: list, train, evaluate and run recurrent text models by name."""


@main.command("list")
@click.argument("pattern", required=False)
@click.option("--task", help="Only architectures for this task (classify, lm, tag, seq2seq).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--results", "with_results", is_flag=True, help="Show each architecture's reference result (results/).")
def list_command(pattern: Optional[str], task: Optional[str], as_json: bool, with_results: bool):
    """List architectures whose name matches PATTERN (wildcards: "*lstm*")."""
    reg = registry()
    names = reg.list_models(pattern, task)
    rows = [{"name": n, "task": reg.architectures[n].task, "plugin": reg.architectures[n].plugin,
             "description": reg.architectures[n].description} for n in names]
    if with_results:
        from zoo_core.reference import list_with_results

        return list_with_results(rows, as_json)
    if as_json:
        return echo_json(rows)
    if not rows:
        click.echo("no architectures match" + (f" '{pattern}'" if pattern else ""), err=True)
        return
    width = max(len(r["name"]) for r in rows)
    for row in rows:
        click.echo(f"{row['name']:<{width}}  {row['task']:<9} {row['description']}")


@main.command()
@click.argument("name")
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE", help="Show the config with this change.")
@click.option("--vocab-size", default=10000, show_default=True, help="Vocabulary size for the parameter count.")
@click.option("--json", "as_json", is_flag=True, help="Print the config, its JSON schema and the parameter count as JSON.")
def info(name: str, settings: tuple[str, ...], vocab_size: int, as_json: bool):
    """Show an architecture's config (defaults, bounds, descriptions) and size, or a trained MODEL's training summary."""
    from zoo_core.config import parse_set_options
    from zoo_core.reports import describe_training, is_trained_model, model_summary

    reg = registry()
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
    from zoo_core.api import placeholder_vocabs
    from zoo_core.model import ZooModel

    return ZooModel(config, placeholder_vocabs(vocab_size)).num_parameters()


@main.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def plugins(ctx, as_json: bool):
    """Installed plugins: version, what each registered, and any failure."""
    if ctx.invoked_subcommand is not None:
        return
    infos = list(registry().plugins.values())
    if as_json:
        return echo_json([info.__dict__ | {"ok": info.ok} for info in infos])
    for info in infos:
        status = "ok" if info.ok else "FAILED"
        click.echo(f"{info.name} ({info.distribution} {info.version}) {status}")
        if info.registered:
            click.echo(f"  registers: {', '.join(info.registered)}")
        for error in info.errors:
            click.echo(f"  error: {error}")


@plugins.command("new")
@click.argument("name")
@click.option("--path", "directory", default=".", show_default=True, help="Folder to create the package in.")
def plugins_new(name: str, directory: str):
    """Write a ready plugin package zoo-NAME: an example encoder, an architecture, tests (docs/plugins.md)."""
    from zoo_core.scaffold import write_plugin

    root = write_plugin(name, directory)
    click.echo(f"wrote {root}\nnext: pip install -e {root} && zoo list '{name}*' && pytest {root}")


def data_option_flags(function):
    for option in reversed([
        click.option("--data", "data", help="Data file or folder (left out: the task's embedded data set)."),
        click.option("--format", "data_format", help="Reader: csv, tsv, jsonl, folder, label-files (detected if left out)."),
        click.option("--text-field", help="Column or key holding the text (csv/tsv: name or 0-based index)."),
        click.option("--label-field", help="Column or key holding the label."),
    ]):
        function = option(function)
    return function


@main.command()
@click.argument("architecture")
@data_option_flags
@click.option("--out", help="Save the model under this store name or .safetensors path.")
@click.option("--force", is_flag=True, help="Replace an existing model of that name.")
@click.option("--valid", help="A separate validation file (else held out by a fixed rule).")
@click.option("--test", help="A separate test file (else held out by a fixed rule).")
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE", help="Change a config value (JSON, else string).")
@click.option("--config", "config_path", help="TOML or JSON file of config values.")
@click.option("--device", help="auto, cpu, cuda, cuda:N or mps (training.device).")
@click.option("--epochs", type=int, help="training.epochs")
@click.option("--seed", type=int, help="training.seed")
@click.option("--precision", type=click.Choice(["fp32", "bf16", "fp16"]), help="training.precision (autocast).")
@click.option("--accumulate", type=click.IntRange(1, 4096), help="training.accumulate: batches per optimizer step.")
@click.option("--stream", is_flag=True, default=None, help="training.stream: read the training file as a stream.")
@click.option("--nproc-per-node", type=click.IntRange(1, 1024),
              help="Train in this many processes per machine (torchrun; DistributedDataParallel).")
@click.option("--nnodes", type=click.IntRange(1, 1024), default=1, show_default=True,
              help="Machines taking part; each runs the same command.")
@click.option("--rdzv-endpoint", metavar="HOST:PORT", help="Where the machines meet (several machines).")
@click.option("--rdzv-id", default="zoo", show_default=True, help="Run id shared by the machines of one job.")
@click.option("--quiet", is_flag=True, help="No progress output.")
@click.option("--plot", is_flag=True, help="Draw the learning curves to <model>.curves.png beside the model (needs matplotlib).")
def train(architecture, data, data_format, text_field, label_field, out, force, valid, test, settings, config_path,
          device, epochs, seed, precision, accumulate, stream, nproc_per_node, nnodes, rdzv_endpoint, rdzv_id, quiet,
          plot):
    """Train ARCHITECTURE on --data and save it as --out (docs/scale.md: several processes or machines)."""
    from zoo_core.api import train as train_model
    from zoo_core.config import parse_set_options, read_config_file, set_path

    registry().architecture(architecture)  # unknown names fail before torch is imported
    if plot:
        from zoo_core.plots import check_plotting

        if not out:
            raise ZooError("--plot draws the curves beside the saved model; add --out NAME")
        check_plotting("--plot")
    overrides = parse_set_options(settings)
    for key, value in (("training.device", device), ("training.epochs", epochs), ("training.seed", seed),
                       ("training.precision", precision), ("training.accumulate", accumulate),
                       ("training.stream", stream)):
        if value is not None:
            set_path(overrides, key, value)
    file_config = read_config_file(config_path) if config_path else None
    if not nproc_per_node and (nnodes > 1 or rdzv_endpoint):
        raise ZooError("--nnodes/--rdzv-endpoint launch processes; add --nproc-per-node N (processes per machine)")
    if nproc_per_node and "TORCHELASTIC_RUN_ID" not in os.environ:
        from zoo_core.api import resolve_config, writable_target
        from zoo_core.distributed import launch

        # A bad config or an existing model is one line here, not one per process.
        resolve_config(architecture, overrides, file_config)
        writable_target(out, force)
        launch(forwarded_arguments(click.get_current_context()), nproc_per_node, nnodes, rdzv_endpoint, rdzv_id)
        return  # rank 0 printed the result (and drew any --plot)
    model = train_model(architecture, data, out=out, force=force, overrides=overrides, config_file=file_config,
                        progress=not quiet, format=data_format, text_field=text_field, label_field=label_field,
                        valid=valid, test=test)
    from zoo_core.distributed import from_environment

    if not from_environment().is_main:
        return  # rank 0 reports for every process
    summary = model.training_summary
    best = summary.get("best_value")
    line = (f"best {summary.get('best_metric')}={best:.4f} at epoch {summary.get('best_epoch')}" if best is not None
            else f"stopped ({summary.get('stopped')}) before the first validation; weights as they were")
    if "test" in summary:
        line += "; test " + ", ".join(f"{k}={v:.4f}" for k, v in summary["test"].items())
    click.echo(line)
    if out:
        from zoo_core.store import model_path

        click.echo(f"saved {model_path(out)}")
    if plot:
        from zoo_core.reports import plot_model_curves

        click.echo(f"wrote {plot_model_curves(out)}")


def forwarded_arguments(ctx: click.Context) -> list[str]:
    """This command's arguments as given, less the launcher's own flags: what each process runs."""
    from zoo_core.distributed import LAUNCH_OPTIONS

    args = [ctx.info_name]
    for param in ctx.command.params:
        value = ctx.params.get(param.name)
        if param.name in LAUNCH_OPTIONS or value is None or value is False or value == ():
            continue
        if isinstance(param, click.Argument):
            args.append(str(value))
        elif param.is_flag:
            args.append(param.opts[0])
        else:
            for item in value if param.multiple else [value]:
                args += [param.opts[0], str(item)]
    return args


@main.command("eval")
@click.argument("model")
@data_option_flags
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def eval_command(model, data, data_format, text_field, label_field, as_json):
    """Evaluate a saved MODEL on --data (its test split when the data has one)."""
    from zoo_core.api import evaluate

    if not data:
        raise ZooError("zoo eval needs --data PATH")
    metrics = evaluate(model, data, format=data_format, text_field=text_field, label_field=label_field)
    if as_json:
        return echo_json(metrics)
    for key, value in metrics.items():
        # Nested metrics (per tag type) print one line per entry: "per_type.NP\tprecision=... f1=...".
        for name, item in (value.items() if isinstance(value, dict) else [(None, value)]):
            shown = (" ".join(f"{k}={_metric(v)}" for k, v in item.items()) if isinstance(item, dict)
                     else _metric(item))
            click.echo(f"{key}.{name}\t{shown}" if name is not None else f"{key}\t{shown}")


def _metric(value) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


@main.command()
@click.argument("model")
@click.argument("inputs", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per input (schema: README).")
@click.option("--max-tokens", type=int, help="lm/seq2seq: most tokens to generate.")
@click.option("--sampler", help="lm/seq2seq: decoding strategy (greedy, temperature, top-k, top-p, beam...).")
@click.option("--temperature", type=float, help="lm: sampling temperature.")
@click.option("--top-k", type=int, help="lm: sample from the K most likely tokens.")
@click.option("--top-p", type=float, help="lm: sample from the smallest set of tokens with probability >= P.")
@click.option("--seed", type=int, help="lm: seed for repeatable sampling.")
@click.option("--beam", type=int, help="seq2seq: beam search of this width.")
@click.option("--explain", is_flag=True, help="classify: show each token's attention weight.")
@click.option("--explain-png", help="classify: write a picture of the attention weights to this PNG.")
@click.option("--attention-png", help="seq2seq: write the attention matrix to this PNG.")
def run(model, inputs, as_json, **options):
    """Run MODEL on INPUTS (or '-' to read one input a line from stdin)."""
    from zoo_core.artifacts import load_model

    options = {k: v for k, v in options.items() if v is not None and v is not False}
    loaded = load_model(model)
    unsupported = sorted(set(options) - set(loaded.task.run_options))
    if unsupported:
        flag = "--" + unsupported[0].replace("_", "-")
        raise ZooError(f"{flag} does not apply to model '{model}' (task {loaded.config.task}"
                       f"{', architecture ' + loaded.config.architecture}); `zoo run --help` says which task takes it")
    texts = [line.rstrip("\n") for line in sys.stdin] if inputs == ("-",) else list(inputs)
    loaded.task.run_cli(loaded, texts, as_json, **options)


@main.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def models(ctx, as_json: bool):
    """Saved models in the store (ZOO_HOME)."""
    if ctx.invoked_subcommand is not None:
        return
    from zoo_core.store import list_stored, models_dir

    rows = list_stored()
    if as_json:
        return echo_json(rows)
    if not rows:
        click.echo(f"no saved models in {models_dir()}", err=True)
        return
    for row in rows:
        value = row.get("value")
        metric = f"{row.get('metric')}={value:.4f}" if isinstance(value, (int, float)) else "-"
        date = datetime.fromtimestamp(row["modified"]).strftime("%Y-%m-%d %H:%M")
        click.echo(f"{row['name']}  {row['architecture']}  {row['task']}  {metric}  {row['size'] / 1e6:.1f} MB  {date}")


@models.command("rm")
@click.argument("name")
def models_rm(name: str):
    """Delete saved model NAME and its metrics."""
    from zoo_core.store import remove

    click.echo(f"removed {remove(name)}")


@main.command("registry")
@click.option("--check", is_flag=True, help="Exit non-zero if registry.json differs from what the plugins register.")
@click.option("--path", default="registry.json", show_default=True, help="Where the catalog lives.")
def registry_command(check: bool, path: str):
    """Write (or --check) registry.json, the catalog of first-party architectures."""
    from zoo_core.catalog import check_catalog, write_catalog
    from zoo_core.reference import DOCS, sync_results_docs

    root = Path(path).resolve().parent
    if check:
        problem = check_catalog(path) or sync_results_docs(root, check=True)
        if problem:
            raise ZooError(problem)
        click.echo(f"{path} and {DOCS} are up to date")
    else:
        click.echo(f"wrote {write_catalog(path)}")
        sync_results_docs(root)


from zoo_core.cli_compare import compare_command  # noqa: E402 - its own module, registered here

main.add_command(compare_command)

if __name__ == "__main__":
    main()
