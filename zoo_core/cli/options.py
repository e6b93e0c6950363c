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
