"""`zoo train`: one process, or several under torchrun (docs/scale.md)."""
from __future__ import annotations

import os

import click

from zoo_core.cli.options import data_option_flags
from zoo_core.errors import ZooError


@click.command()
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
@click.option("--init", "init", metavar="MODEL", help="training.init: start from this saved model's weights (docs/transfer.md).")
@click.option("--freeze", multiple=True, type=click.Choice(["embedding", "token_features", "encoder", "head"]),
              help="training.freeze: keep this part fixed (repeat for several).")
@click.option("--nproc-per-node", type=click.IntRange(1, 1024),
              help="Train in this many processes per machine (torchrun; DistributedDataParallel).")
@click.option("--nnodes", type=click.IntRange(1, 1024), default=1, show_default=True,
              help="Machines taking part; each runs the same command.")
@click.option("--rdzv-endpoint", metavar="HOST:PORT", help="Where the machines meet (several machines).")
@click.option("--oversubscribe", is_flag=True, help="Allow more --nproc-per-node processes than CPU cores "
              "on a machine without GPUs.")
@click.option("--rdzv-id", default="zoo", show_default=True, help="Run id shared by the machines of one job.")
@click.option("--resume", is_flag=True, help="Continue the run saved under --out from its last checkpoint "
              "(the same command plus --resume; docs/training.md).")
@click.option("--keep-checkpoints", is_flag=True, help="Keep the checkpoint beside the model when the run completes.")
@click.option("--threads", type=click.IntRange(1, 1024), help="CPU threads for torch (one is often fastest on a "
              "loaded machine).")
@click.option("--log", "log", type=click.Choice(["tensorboard", "mlflow"]), help="Also log metrics, learning rate "
              "and throughput to TensorBoard (runs/) or MLflow (mlruns/) in this folder (extra 'tracking').")
@click.option("--quiet", is_flag=True, help="No progress output.")
@click.option("--plot", is_flag=True, help="Draw the learning curves to <model>.curves.png beside the model (needs matplotlib).")
def train(architecture, data, data_format, text_field, label_field, out, force, valid, test, settings, config_path,
          device, epochs, seed, precision, accumulate, stream, init, freeze, nproc_per_node, nnodes, rdzv_endpoint, rdzv_id,
          oversubscribe, resume, keep_checkpoints, threads, log, quiet, plot):
    """Train ARCHITECTURE on --data and save it as --out (docs/scale.md: several processes or machines)."""
    from zoo_core.config.overrides import parse_set_options, read_config_file, set_path
    from zoo_core.experiments.plots import check_plotting
    from zoo_core.experiments.training_reports import plot_model_curves
    from zoo_core.extension.registry import get_registry
    from zoo_core.io.store import model_path
    from zoo_core.workflows import train as train_model

    get_registry().architecture(architecture)  # unknown names fail before torch is imported
    if plot:
        if not out:
            raise ZooError("--plot draws the curves beside the saved model; add --out NAME")
        check_plotting("--plot")
    overrides = parse_set_options(settings)
    for key, value in (("training.device", device), ("training.epochs", epochs), ("training.seed", seed),
                       ("training.precision", precision), ("training.accumulate", accumulate),
                       ("training.stream", stream), ("training.init", init),
                       ("training.freeze", list(freeze) or None)):
        if value is not None:
            set_path(overrides, key, value)
    file_config = read_config_file(config_path) if config_path else None
    if not nproc_per_node and (nnodes > 1 or rdzv_endpoint):
        raise ZooError("--nnodes/--rdzv-endpoint launch processes; add --nproc-per-node N (processes per machine)")
    if nproc_per_node and "TORCHELASTIC_RUN_ID" not in os.environ:
        from zoo_core.training.distributed import check_process_count, launch

        check_process_count(nproc_per_node, oversubscribe)
        from zoo_core.workflows import resolve_config, writable_target

        # A bad config or an existing model is one line here, not one per process.
        resolve_config(architecture, overrides, file_config)
        writable_target(out, force or resume)
        launch(forwarded_arguments(click.get_current_context()), nproc_per_node, nnodes, rdzv_endpoint, rdzv_id)
        return  # rank 0 printed the result (and drew any --plot)
    if threads:
        import torch

        torch.set_num_threads(threads)
    model = train_model(architecture, data, out=out, force=force, overrides=overrides, config_file=file_config,
                        progress=not quiet, format=data_format, text_field=text_field, label_field=label_field,
                        valid=valid, test=test, resume=resume, keep_checkpoints=keep_checkpoints,
                        log=log)
    from zoo_core.training.distributed import from_environment

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
        click.echo(f"saved {model_path(out)}")
    if plot:
        click.echo(f"wrote {plot_model_curves(out)}")
    click.echo(stop_line(summary))
    if str(summary.get("stopped", "")).startswith("signal"):
        raise SystemExit(128 + signal_number(summary["stopped"]))


def stop_line(summary: dict) -> str:
    """The last line: why training stopped, and whether the last epoch was cut short."""
    reason, detail = summary.get("stopped"), summary.get("stop_detail")
    partial = "; the last epoch was partial" if summary.get("last_epoch_partial") else ""
    if reason == "epochs":
        return f"stopped: {detail}{partial}"
    return f"stopped: {reason}" + (f" ({detail})" if detail else "") + partial


def signal_number(stopped: str) -> int:
    import signal

    try:
        return int(signal.Signals[stopped.split()[-1]])
    except KeyError:
        return int(signal.SIGINT)


def forwarded_arguments(ctx: click.Context) -> list[str]:
    """This command's arguments as given, less the launcher's own flags: what each process runs."""
    from zoo_core.training.distributed import LAUNCH_OPTIONS

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
