"""RNN Zoo: recurrent text models you can list, build, train, save and load by name.

    import zoo_core as zoo
    zoo.list_models("*lstm*", task="classify")
    model = zoo.train("lstm-classifier", "data/reviews.csv")
    model = zoo.load("my-sentiment")
    model.predict(["a gripping film"])

Importing this package does not import torch; the functions that need it import it when called.
Plugins use zoo_core.plugin instead; the layers behind both are mapped in docs/architecture.md.
"""
from zoo_core._version import __version__
from zoo_core.extension.hookspecs import hookimpl
from zoo_core.extension.records import Architecture, Component, Task

__all__ = [
    "Architecture", "Component", "Task", "hookimpl", "__version__",
    "list_models", "create_model", "train", "load", "get_config", "list_saved",
]


def list_models(pattern: str | None = None, task: str | None = None, exclude: tuple[str, ...] = ()) -> list[str]:
    """Names of the architectures whose name matches ``pattern`` (fnmatch wildcards), naturally sorted.

    >>> list_models("*lstm*", task="classify")
    ['bilstm-classifier', 'lstm-classifier', ...]
    """
    from zoo_core.extension.registry import get_registry

    return get_registry().list_models(pattern, task, exclude)


def get_config(name: str, **overrides):
    """The validated config of architecture ``name``; overrides use ``__`` for nesting
    (``encoder__hidden_size=64``) or nested dicts (``encoder={"hidden_size": 64}``)."""
    from zoo_core.config.overrides import keyword_overrides
    from zoo_core.workflows import resolve_config

    return resolve_config(name, keyword_overrides(overrides))


def create_model(name: str, vocab=None, num_classes: int | None = None, **overrides):
    """An untrained model of architecture ``name``. See :func:`zoo_core.workflows.create_model`."""
    from zoo_core.workflows import create_model as _create

    return _create(name, vocab=vocab, num_classes=num_classes, **overrides)


def train(architecture: str, data: str | None = None, **options):
    """Train like `zoo train`, returning the trained model. See :func:`zoo_core.workflows.train`."""
    from zoo_core.workflows import train as _train

    return _train(architecture, data, **options)


def load(name_or_path: str, device: str = "cpu"):
    """A saved model: by store name, a .safetensors or .onnx file (run on ONNX Runtime), a folder written by
    `zoo export --format hf`, or ``hf://OWNER/NAME[@REVISION]`` (docs/deploy.md)."""
    from zoo_core.export.references import load_reference

    return load_reference(name_or_path, device=device)


def list_saved() -> list[dict]:
    """The models saved in the store (ZOO_HOME), as `zoo models --json` lists them: ``name``, ``path``,
    ``architecture``, ``task``, ``metric``, ``value``, ``size``, ``modified``; a file that cannot be read is a row
    with ``error`` saying why (listing never fails on one file)."""
    from zoo_core.io.artifacts import checked_rows

    return checked_rows()
