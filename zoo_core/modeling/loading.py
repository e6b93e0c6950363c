"""Loading a model from a store name or a path: the metadata is checked, the model rebuilt from its config,
then the weights read into it. Nothing is unpickled and no code from the file runs."""
from __future__ import annotations

import json

from safetensors import SafetensorError
from safetensors.torch import load_model as load_weights

from zoo_core.data.stored_vocabs import vocabs_from_metadata
from zoo_core.errors import ArtifactError, ZooError
from zoo_core.extension.registry import get_registry
from zoo_core.io.artifacts import metadata_json, read_checked_header, shown, verify_weights
from zoo_core.io.store import existing_model
from zoo_core.modeling.devices import select_device
from zoo_core.modeling.model import ZooModel
from zoo_core.modeling.saving import check_plugins, major_version_changes


def load_model(reference: str, device: str = "cpu"):
    """Rebuild a model from a store name or a path, without running code from the file."""
    target = select_device(device, "device")  # before the file is read: a bad device name costs nothing
    path = existing_model(reference)
    header, data_start, _ = read_checked_header(path)  # no torch yet: a bad file costs no model building
    metadata = header["__metadata__"]
    registry = get_registry()
    check_plugins(metadata, registry, path)
    try:
        config = registry.validate(metadata_json(metadata, "zoo.config", path))
        vocabs = vocabs_from_metadata(metadata)  # subword and char-LM ones of their kind
        summary = metadata_json(metadata, "zoo.training", path)
    except ZooError as error:
        raise ArtifactError(f"{path}: stored config does not validate: {error}"
                            f"{major_version_changes(metadata, registry, path)}") from None
    except (json.JSONDecodeError, TypeError, ValueError, KeyError, AttributeError, RecursionError) as error:
        raise ArtifactError(f"{path}: corrupt zoo metadata ({shown(error)})") from None
    try:
        model = ZooModel(config, vocabs, registry)
    except KeyError as error:  # e.g. a classifier stored without its labels vocabulary
        raise ArtifactError(f"{path}: the stored vocabularies ({', '.join(map(shown, vocabs)) or 'none'}) lack "
                            f"{shown(error.args[0] if error.args else error)!r}, which the {shown(config.task)} task "
                            "needs; the file is damaged or was not saved by zoo") from None
    except (TypeError, ValueError, IndexError, RuntimeError) as error:
        raise ArtifactError(f"{path}: the model cannot be rebuilt from its stored config and vocabularies "
                            f"({shown(error)}); the file is damaged or was not saved by zoo") from None
    check_tensors(header, model, path, lambda: major_version_changes(metadata, registry, path))
    verify_weights(path, header, data_start)  # the sha256 of every byte of tensor data, before any of it is used
    try:
        missing, unexpected = load_weights(model, str(path), strict=False, device="cpu")
    except SafetensorError as error:
        raise ArtifactError(f"{path}: corrupt or truncated safetensors file ({error})") from None
    except RuntimeError as error:
        first = str(error).strip().splitlines()[-1].strip()
        raise ArtifactError(f"{path}: weights do not fit the stored config ({first})"
                            f"{major_version_changes(metadata, registry, path)}") from None
    if missing or unexpected:
        what = f"missing {sorted(missing)[0]}" if missing else f"unexpected {shown(sorted(unexpected)[0])}"
        raise ArtifactError(f"{path}: weights do not fit the stored config ({what})"
                            f"{major_version_changes(metadata, registry, path)}")
    model.training_summary = summary
    model.eval()
    return model.to(target)


DTYPE_NAMES = {"F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16", "I64": "int64", "I32": "int32",
               "I16": "int16", "I8": "int8", "U8": "uint8", "BOOL": "bool"}


def check_tensors(header: dict, model, path, versions) -> None:
    """Every tensor the model needs is in the file with its dtype and shape, and nothing else is (a file whose
    table was relabelled, F32 as I32, is refused here rather than loaded as other numbers)."""
    expected = {name: tensor for name, tensor in model.state_dict(keep_vars=True).items()}
    stored = {name: entry for name, entry in header.items() if name != "__metadata__"}
    for name, tensor in expected.items():
        entry = stored.get(name)
        if entry is None:
            # save_model drops one name of tensors sharing memory (tied weights): the other must be there.
            if any(other in stored and tensor.data_ptr() == expected[other].data_ptr() for other in expected
                   if other != name):
                continue
            raise ArtifactError(f"{path}: weights do not fit the stored config (missing {name}){versions()}")
        dtype = DTYPE_NAMES.get(entry["dtype"], entry["dtype"])
        if dtype != str(tensor.dtype).removeprefix("torch."):
            raise ArtifactError(f"{path}: tensor {name} is stored as {shown(dtype)} but the model's is "
                                f"{str(tensor.dtype).removeprefix('torch.')}; the file is damaged or was edited")
        if list(entry["shape"]) != list(tensor.shape):
            raise ArtifactError(f"{path}: weights do not fit the stored config ({name}: stored shape "
                                f"{shown(entry['shape'])}, the config gives {list(tensor.shape)}){versions()}")
    unexpected = sorted(set(stored) - set(expected))
    if unexpected:
        raise ArtifactError(f"{path}: weights do not fit the stored config (unexpected {shown(unexpected[0])})"
                            f"{versions()}")
