"""Loading a model from a store name or a path: the metadata is checked, the model rebuilt from its config,
then the weights read into it. Nothing is unpickled and no code from the file runs."""
from __future__ import annotations

import json

from safetensors import SafetensorError
from safetensors.torch import load_model as load_weights

from zoo_core.data.stored_vocabs import vocabs_from_metadata
from zoo_core.errors import ArtifactError, ZooError
from zoo_core.extension.registry import get_registry
from zoo_core.io.artifacts import read_metadata
from zoo_core.io.store import existing_model
from zoo_core.modeling.devices import select_device
from zoo_core.modeling.model import ZooModel
from zoo_core.modeling.saving import check_plugins, major_version_changes


def load_model(reference: str, device: str = "cpu"):
    """Rebuild a model from a store name or a path, without running code from the file."""
    target = select_device(device, "device")  # before the file is read: a bad device name costs nothing
    path = existing_model(reference)
    metadata = read_metadata(path)
    registry = get_registry()
    check_plugins(metadata, registry, path)
    try:
        config = registry.validate(json.loads(metadata["zoo.config"]))
        vocabs = vocabs_from_metadata(metadata)  # subword and char-LM ones of their kind
        summary = json.loads(metadata.get("zoo.training", "{}"))
    except ZooError as error:
        raise ArtifactError(f"{path}: stored config does not validate: {error}"
                            f"{major_version_changes(metadata, registry, path)}") from None
    except (json.JSONDecodeError, TypeError, ValueError) as error:
        raise ArtifactError(f"{path}: corrupt zoo metadata ({error})") from None
    model = ZooModel(config, vocabs, registry)
    try:
        missing, unexpected = load_weights(model, str(path), strict=False, device="cpu")
    except SafetensorError as error:
        raise ArtifactError(f"{path}: corrupt or truncated safetensors file ({error})") from None
    except RuntimeError as error:
        first = str(error).strip().splitlines()[-1].strip()
        raise ArtifactError(f"{path}: weights do not fit the stored config ({first})"
                            f"{major_version_changes(metadata, registry, path)}") from None
    if missing or unexpected:
        what = f"missing {missing[0]}" if missing else f"unexpected {unexpected[0]}"
        raise ArtifactError(f"{path}: weights do not fit the stored config ({what})"
                            f"{major_version_changes(metadata, registry, path)}")
    model.training_summary = summary
    model.eval()
    return model.to(target)
