"""Every kind of model reference resolved in one place (`zoo run`, ``zoo_core.load``, `zoo export`):
a store name, a .safetensors path, an .onnx file, an exported folder, or ``hf://OWNER/NAME[@REVISION]``.

A bare name is a store name; when the store has no such model and a folder of that name holding a
model.safetensors exists here, it is that folder (``./NAME`` always is a folder)."""
from __future__ import annotations

from pathlib import Path

from zoo_core.errors import ArtifactError, ZooError
from zoo_core.export import hub
from zoo_core.export.folder import MODEL_FILE, load_folder
from zoo_core.io.store import existing_model, is_path, model_path
from zoo_core.modeling.loading import load_model

ONNX_SUFFIX = ".onnx"


def load_reference(reference: str, device: str = "cpu"):
    """The model behind any reference: a ZooModel, or for an .onnx file an OnnxModel (same interface)."""
    if reference.startswith(hub.PREFIX):
        return load_folder(hub.download(reference), device, reference)
    if reference.endswith(ONNX_SUFFIX):
        from zoo_core.export.onnx_runner import load_onnx

        return load_onnx(reference).to(device)
    folder = folder_of(reference)
    if folder is not None:
        return load_folder(folder, device)
    return load_model(reference, device=device)


def folder_of(reference: str) -> Path | None:
    path = Path(reference).expanduser()
    if not path.is_dir():
        return None
    if is_path(reference):
        return path
    try:
        stored = model_path(reference).exists()
    except ZooError:  # not a valid store name ("..", ".x"): the store's own error says so
        return None
    return None if stored or not (path / MODEL_FILE).is_file() else path


def source_file(reference: str) -> Path:
    """The .safetensors file behind a reference, to export from."""
    if reference.endswith(ONNX_SUFFIX):
        raise ArtifactError(f"{reference}: an ONNX file is an export already; export from the model's "
                            ".safetensors file or store name")
    if reference.startswith(hub.PREFIX):
        folder = hub.download(reference)
    else:
        folder = folder_of(reference)
    if folder is not None:
        if not (folder / MODEL_FILE).is_file():
            raise ArtifactError(f"{reference}: a folder without {MODEL_FILE}; give a folder written by "
                                "`zoo export MODEL --format hf --out DIR`")
        return folder / MODEL_FILE
    return existing_model(reference)
