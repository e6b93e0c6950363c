"""Checkpoints for exact resume: one safetensors file beside the model (``NAME.checkpoint``) whose tensors are
the weights, the best weights, the optimizer's state and the RNG states, and whose metadata holds the rest as
JSON (the data-order position, metrics so far, the config). Never pickle: state dicts are split into tensors
and JSON by ``split_tensors`` and put back together by ``join_tensors``."""
from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from zoo_core.errors import ArtifactError
from zoo_core.io.store import SUFFIX, atomic_target

FORMAT = 1
METADATA_KEY = "zoo.checkpoint"


def checkpoint_path(model_file: Path) -> Path:
    """``NAME.checkpoint`` beside ``NAME.safetensors`` (not ``.safetensors``, so `zoo models` does not list it)."""
    name = model_file.name[: -len(SUFFIX)] if model_file.name.endswith(SUFFIX) else model_file.name
    return model_file.with_name(name + ".checkpoint")


def split_tensors(value: Any, prefix: str, tensors: dict[str, torch.Tensor]) -> Any:
    """``value`` as JSON, each tensor in it moved into ``tensors`` under a key made from its place."""
    if isinstance(value, torch.Tensor):
        # A copy: safetensors refuses tensors that share memory (tied weights), and this one must not change.
        tensors[prefix] = value.detach().to("cpu", copy=True).contiguous()
        return {"__tensor__": prefix}
    if isinstance(value, dict):
        if all(isinstance(key, str) and not key.startswith("__") for key in value):
            return {key: split_tensors(item, f"{prefix}.{key}", tensors) for key, item in value.items()}
        return {"__items__": [[key, split_tensors(item, f"{prefix}.{key}", tensors)] for key, item in value.items()]}
    if isinstance(value, tuple):
        return {"__tuple__": [split_tensors(item, f"{prefix}.{i}", tensors) for i, item in enumerate(value)]}
    if isinstance(value, list):
        return [split_tensors(item, f"{prefix}.{i}", tensors) for i, item in enumerate(value)]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"checkpoint: cannot store {type(value).__name__} at {prefix}")


def join_tensors(value: Any, tensors: dict[str, torch.Tensor]) -> Any:
    """The inverse of ``split_tensors``."""
    if isinstance(value, dict):
        if "__tensor__" in value:
            return tensors[value["__tensor__"]]
        if "__items__" in value:
            return {key: join_tensors(item, tensors) for key, item in value["__items__"]}
        if "__tuple__" in value:
            return tuple(join_tensors(item, tensors) for item in value["__tuple__"])
        return {key: join_tensors(item, tensors) for key, item in value.items()}
    if isinstance(value, list):
        return [join_tensors(item, tensors) for item in value]
    return value


def capture_rng(data_state: tuple) -> dict:
    """Every random state a run draws from: torch (CPU and each GPU), numpy, Python's, and ``data_state``
    (the data-order generator's, as the epoch under way began)."""
    state = {"torch": torch.get_rng_state(), "python": random.getstate(), "data": data_state,
             "numpy": _numpy_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: dict) -> None:
    """The global random states of ``capture_rng`` (the data order's is the trainer's to set)."""
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(list(state["cuda"]))
    random.setstate(as_random_state(state["python"]))
    kind, keys, position, has_gauss, cached = state["numpy"]
    numpy.random.set_state((kind, numpy.array(keys, dtype=numpy.uint32), position, has_gauss, cached))


def _numpy_state() -> tuple:
    kind, keys, position, has_gauss, cached = numpy.random.get_state()
    return kind, [int(k) for k in keys], int(position), int(has_gauss), float(cached)


def as_random_state(value) -> tuple:
    """A random.Random state as setstate takes it (tuples, however it was stored)."""
    version, internal, gauss = value
    return version, tuple(internal), gauss


def save_checkpoint(path: Path, contents: dict) -> None:
    """Write ``contents`` (nested dicts of tensors and JSON values) to ``path`` atomically."""
    tensors: dict[str, torch.Tensor] = {}
    document = {"format": FORMAT, "contents": split_tensors(contents, "c", tensors)}
    with atomic_target(path) as temporary:
        save_file(tensors, temporary, metadata={"format": "pt", METADATA_KEY: json.dumps(document)})


def load_checkpoint(path: Path) -> dict:
    """What ``save_checkpoint`` wrote (tensors on the CPU); one line when the file is not a checkpoint."""
    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
            tensors = {key: handle.get_tensor(key) for key in handle.keys()}
        document = json.loads(metadata[METADATA_KEY])
    except FileNotFoundError:
        raise ArtifactError(f"{path}: no checkpoint to resume from; train without --resume") from None
    except Exception as error:  # noqa: BLE001 - safetensors raises its own kinds for a bad file
        raise ArtifactError(f"{path}: not a readable checkpoint ({error}); train without --resume to start "
                            "over") from None
    if document.get("format") != FORMAT:
        raise ArtifactError(f"{path}: checkpoint format {document.get('format')} is not {FORMAT}, which this "
                            "version writes; train without --resume to start over")
    return join_tensors(document["contents"], tensors)
