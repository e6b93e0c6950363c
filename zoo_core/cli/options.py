"""Options shared by several commands."""
import click


def data_option_flags(function):
    for option in reversed([
        click.option("--data", "data", help="Data file or folder (left out: the task's embedded data set)."),
        click.option("--format", "data_format", help="Reader: csv, tsv, jsonl, folder, label-files (detected if left out)."),
        click.option("--text-field", help="Column or key holding the text (csv/tsv: name or 0-based index)."),
        click.option("--label-field", help="Column or key holding the label."),
    ]):
        function = option(function)
    return function


device_option = click.option("--device", default="cpu", show_default=True,
                             help="Where the model runs: auto, cpu, cuda, cuda:N, mps (auto: cuda, then mps, then cpu).")
batch_size_option = click.option("--batch-size", type=int,
                                 help="Examples run together (left out: 256 for eval; 64 a batch of stdin for run).")
