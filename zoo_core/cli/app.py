"""The `zoo` command group: every command module is registered here, and a ZooError anywhere becomes one line.

Command modules import torch-heavy code inside the command functions, on purpose: `zoo --help`, `zoo list`,
`zoo info` and `zoo plugins` must start without importing torch (docs/benchmarks.md, start-up). The layers
below the CLI and how a command flows through them: docs/architecture.md.
"""
from __future__ import annotations

import os
import sys
import warnings

import click

from zoo_core._version import __version__
from zoo_core.cli import compare, evaluation, export, listing, running, serve, store, training
from zoo_core.errors import ZooError, one_line


class ZooGroup(click.Group):
    """Shows a ZooError as one line on stderr with a non-zero exit, never a traceback."""

    def invoke(self, ctx):
        # Warnings (e.g. a model saved by a newer plugin) read as one line too.
        warnings.formatwarning = lambda message, *args, **kwargs: f"zoo: warning: {one_line(message)}\n"
        try:
            return super().invoke(ctx)
        except ZooError as error:
            click.echo(f"zoo: error: {one_line(error)}", err=True)  # text from a file cannot add lines or escapes
            if "torch.distributed" in sys.modules and sys.modules["torch.distributed"].is_initialized():
                # A process of a distributed run: leave now, before the process group's threads are
                # torn down at exit (that aborts and can swallow the line above).
                sys.stderr.flush()
                os._exit(getattr(error, "exit_code", 1))
            sys.exit(1)


@click.group(cls=ZooGroup)
@click.version_option(__version__, prog_name="zoo")
def main():
    """RNN Zoo: list, train, evaluate and run recurrent text models by name."""


for command in (listing.list_command, listing.info, listing.plugins, training.train, evaluation.eval_command,
                running.run, store.models, compare.compare_command, serve.serve, export.export_command,
                export.push_command):
    main.add_command(command)
