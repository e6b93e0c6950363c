"""A Hugging Face-style folder (`zoo export --format hf`): ``model.safetensors`` (a byte copy of the model file,
so its weights, metadata and any checksum are the same), ``config.json``, ``vocab.json`` (each vocabulary's
tokens), ``tokenizer_config.json`` and a ``README.md`` model card. `zoo run DIR` and ``zoo_core.load(DIR)``
load its model.safetensors."""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from zoo_core.errors import ArtifactError, ZooError
from zoo_core.export.model_card import model_card
from zoo_core.extension.registry import get_registry
from zoo_core.io.artifacts import read_metadata
from zoo_core.modeling.loading import load_model

MODEL_FILE = "model.safetensors"


def load_folder(folder: Path, device: str = "cpu", shown: str | None = None):
    """The model of an exported folder."""
    path = Path(folder) / MODEL_FILE
    if not path.is_file():
        raise ArtifactError(f"{shown or folder}: a folder without {MODEL_FILE}; give a folder written by "
                            "`zoo export MODEL --format hf --out DIR`")
    return load_model(str(path), device=device)


def write_folder(source: Path, out: Path, name: str, force: bool = False) -> Path:
    """Export model file ``source`` to folder ``out``, written beside it and renamed into place whole."""
    if out.exists() and not (force and out.is_dir()):
        what = "a file" if not out.is_dir() else "a folder"
        raise ZooError(f"--out {out}: {what} of that name exists; pick another --out"
                       f"{' or add --force to replace it' if out.is_dir() else ''}")
    metadata = read_metadata(source)
    model = load_model(str(source))  # loads: the folder never holds a model the zoo cannot read
    config = model.config
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp"))
    try:
        shutil.copyfile(source, temporary / MODEL_FILE)
        write_json(temporary / "config.json", {
            "model_type": "rnn-zoo", "library_name": "rnn-zoo", "architecture": config.architecture,
            "task": config.task, "zoo_version": metadata.get("zoo.version"),
            "format_version": metadata.get("zoo.format_version"), "num_parameters": model.num_parameters(),
            "vocab_sizes": {role: len(vocab) for role, vocab in model.vocabs.items()},
            "plugins": json.loads(metadata.get("zoo.plugins", "[]")), "config": config.to_dict()})
        write_json(temporary / "vocab.json", {role: vocab.tokens for role, vocab in model.vocabs.items()})
        write_json(temporary / "tokenizer_config.json", {"tokenizer_class": "rnn-zoo", **config.to_dict()["tokenizer"],
                                                         "vocabulary": "vocab.json (tokens)"})
        (temporary / "README.md").write_text(model_card(out.name, metadata, model, get_registry()), encoding="utf-8")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o777 & ~umask)  # mkdtemp makes the folder private
        if out.exists():  # --force: the old folder goes only once the new one is complete
            old = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".old"))
            os.replace(out, old / out.name)
            os.replace(temporary, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(temporary, out)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return out


def write_json(path: Path, value) -> None:
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
