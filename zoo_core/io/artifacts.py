"""The model file format: one .safetensors file whose metadata (strings; JSON where structured) holds
everything needed to rebuild the model. Reading it needs no torch and never runs code from the file."""
from __future__ import annotations

from pathlib import Path

from zoo_core._version import __version__
from zoo_core.errors import ArtifactError
from zoo_core.io.store import read_header

FORMAT_VERSION = "1"
REQUIRED_KEYS = ("zoo.format_version", "zoo.architecture", "zoo.task", "zoo.config", "zoo.vocabs")


def read_metadata(path: Path) -> dict:
    """The zoo metadata of a model file, checked for completeness (no torch needed)."""
    metadata = read_header(path).get("__metadata__") or {}
    missing = [key for key in REQUIRED_KEYS if key not in metadata]
    if missing:
        raise ArtifactError(f"{path}: a safetensors file, but not a zoo model (no {missing[0]} metadata)")
    if metadata["zoo.format_version"] != FORMAT_VERSION:
        raise ArtifactError(f"{path}: model format version {metadata['zoo.format_version']} is not supported by "
                            f"zoo-core {__version__} (format {FORMAT_VERSION}); upgrade zoo-core")
    return metadata
