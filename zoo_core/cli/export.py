"""`zoo export` (an .onnx file or a Hugging Face-style folder) and `zoo push` (that folder to the Hub)."""
from __future__ import annotations

import tempfile
from pathlib import Path

import click


@click.command("export")
@click.argument("model")
@click.option("--format", "format_", type=click.Choice(["onnx", "hf"]), required=True,
              help="onnx: one .onnx file for ONNX Runtime; hf: a folder (model.safetensors, config.json, card).")
@click.option("--out", required=True, help="The .onnx file or the folder to write.")
@click.option("--force", is_flag=True, help="Replace an existing --out.")
def export_command(model: str, format_: str, out: str, force: bool):
    """Export MODEL (store name, .safetensors, folder or hf://OWNER/NAME) to run outside the zoo's torch path."""
    from zoo_core.export.references import source_file

    source, target = source_file(model), Path(out).expanduser()
    if format_ == "onnx":
        from zoo_core.export.onnx_export import export_file

        graphs = export_file(source, target, model, force)
        shown = ", ".join(name for name in graphs if name != "state")
        click.echo(f"wrote {target} ({target.stat().st_size / 1e6:.1f} MB; graphs: {shown}); run it: zoo run {target} ...")
    else:
        from zoo_core.export.folder import write_folder

        write_folder(source, target, model, force)
        click.echo(f"wrote {target}/ (model.safetensors, config.json, vocab.json, tokenizer_config.json, README.md); "
                   f"run it: zoo run {target if '/' in str(target) else './' + str(target)} ...")


@click.command("push")
@click.argument("model")
@click.argument("repo")
@click.option("--private", is_flag=True, help="Create the repository private.")
@click.option("--message", help="Commit message.")
def push_command(model: str, repo: str, private: bool, message: str | None):
    """Upload MODEL, exported as a folder (zoo export --format hf), to Hub repository REPO (OWNER/NAME)."""
    from zoo_core.export import hub
    from zoo_core.export.folder import write_folder
    from zoo_core.export.references import source_file

    hub.check_repo_id(repo, repo)
    source = source_file(model)
    with tempfile.TemporaryDirectory() as folder:
        exported = write_folder(source, Path(folder) / repo.split("/")[1], model)
        url = hub.push(exported, repo, private, message)
    click.echo(f"pushed {model} to {url}; load it with: zoo run hf://{repo} ...")
