"""`zoo compare`: several architectures and grid points trained on the same data, tabulated and plotted."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import click

from zoo_core.errors import ZooError


@click.command("compare")
@click.argument("architectures", nargs=-1, required=True)
@click.option("--data", required=True, help="Data file or folder every run trains on (same split for all).")
@click.option("--format", "data_format", help="Reader: csv, tsv, jsonl, folder, label-files (detected if left out).")
@click.option("--text-field", help="Column or key holding the text.")
@click.option("--label-field", help="Column or key holding the label.")
@click.option("--grid", multiple=True, metavar="KEY=V1,V2", help="Config values to try (every combination).")
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE", help="Change a config value in every run.")
@click.option("--seeds", default=1, show_default=True, type=click.IntRange(1, 100), help="Runs per configuration (seeds 0..N-1).")
@click.option("--budget", type=click.FloatRange(min=0, min_open=True), help="Training minutes per run (training.max_minutes).")
@click.option("--out", required=True, help="Folder for results.csv, results.json, curves.png, summary.png and runs/.")
@click.option("--threads", type=click.IntRange(1, 256),
              help="torch CPU threads per run; 1 is much faster when other jobs share the cores.")
@click.option("--retry-failed", is_flag=True, help="On resume, run again the runs that failed.")
@click.option("--no-plots", is_flag=True, help="Skip curves.png and summary.png.")
@click.option("--search", type=click.Choice(["optuna"]), help="Sample --grid (KEY=V1,V2 or KEY=LOW:HIGH) with Optuna "
              "instead of trying every combination; weak runs are pruned on validation (extra 'search').")
@click.option("--trials", type=click.IntRange(1, 100000), default=10, show_default=True, help="--search: runs to sample.")
@click.option("--storage", metavar="URL", help="--search: Optuna storage shared by several processes or machines "
              "(e.g. sqlite:///study.db, postgresql://...); default sqlite:///OUT/study.db.")
@click.option("--study", "study_name", default="zoo", show_default=True, help="--search: the study's name in the storage.")
def compare_command(architectures, data, data_format, text_field, label_field, grid, settings, seeds, budget: Optional[float],
                    out, threads, retry_failed, no_plots, search, trials, storage, study_name):
    """Train each ARCHITECTURE (and --grid point) over --seeds on the same data; tabulate and plot.

    Each run is its own process. Results are written after every run, so running the same
    command again after an interruption resumes where it stopped.

    Example: zoo compare rnn-classifier lstm-classifier --data ../shared/data/rt-polarity --seeds 3 --budget 2 --out cmp
    """
    from zoo_core.config.overrides import parse_set_options
    from zoo_core.experiments.compare import Comparison, failures, format_table, parse_grid, summarize
    from zoo_core.experiments.plots import plot_comparison_curves, plot_comparison_summary
    from zoo_core.extension.registry import get_registry

    registry = get_registry()
    for name in architectures:
        registry.architecture(name)  # unknown names fail before any run starts
    if not Path(data).exists() and not any(Path(data).parent.glob(Path(data).name + ".*")):  # or a label-files prefix
        raise ZooError(f"--data {data}: no such file or folder; give the data every run trains on")
    data_options = {"format": data_format, "text_field": text_field, "label_field": label_field}
    if search:
        from zoo_core.experiments.search import Search, parse_space

        if len(architectures) != 1:
            raise ZooError("--search optuna searches one architecture's settings; give one ARCHITECTURE")
        if not grid:
            raise ZooError("--search optuna samples the --grid values; add --grid KEY=V1,V2 or KEY=LOW:HIGH")
        comparison = Search(architecture=architectures[0], data=str(data), out=Path(out), space=parse_space(grid),
                            trials=trials, storage=storage, study_name=study_name, budget=budget,
                            data_options=data_options, common=parse_set_options(settings), threads=threads)
    else:
        comparison = Comparison(
            architectures=list(architectures), data=str(data), out=Path(out), grid=parse_grid(grid), seeds=seeds,
            budget=budget, data_options=data_options, common=parse_set_options(settings), threads=threads,
            retry_failed=retry_failed,
        )
    rows = comparison.run(echo=lambda line: click.echo(line, err=True))
    summary = summarize(rows)
    click.echo(format_table(summary))
    for line in failures(rows):
        click.echo(f"failed: {line}", err=True)
    click.echo(f"wrote {Path(out) / 'results.csv'} and {Path(out) / 'results.json'}", err=True)
    if no_plots:
        return
    try:
        curves = plot_comparison_curves(rows, summary, Path(out) / "curves.png")
        bars = plot_comparison_summary(summary, Path(out) / "summary.png")
        click.echo(f"wrote {curves} and {bars}", err=True)
    except ZooError as error:  # no matplotlib: the table and CSV above still stand
        click.echo(f"zoo: note: {error}", err=True)
