"""The plugin API: everything a zoo plugin may import, and nothing else (docs/plugins.md, "The contract").

    from zoo_core.plugin import Architecture, Component, Encoder, EncoderOutput, StrictConfig, hookimpl

A plugin (first-party ones included) imports only this module, and ``zoo_core.testing`` in its tests; an
import-linter contract in the test suite holds the first-party plugins to it. Every name here is covered by
semantic versioning: removing or changing one is a major version of zoo-core. Anything else in ``zoo_core``
is internal and may change in any release.

Names that need torch (interfaces, the task base, batching, building components) load on first use, so a
plugin's light module (its hooks and configs) can import from here without importing torch: `zoo list`
stays fast.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Light names: no torch.
from zoo_core.config.sections import ComponentField, StrictConfig
from zoo_core.data.readers import Splits, TextExample, read_classification, read_text, rule_split, split_examples
from zoo_core.data.streaming import bounded_counts
from zoo_core.data.vocab import BOS, EOS, PAD, PAD_ID, UNK, UNK_ID, Vocab, tokenize
from zoo_core.errors import ArtifactError, ConfigError, DataError, UnknownNameError, ZooError
from zoo_core.extension.hookspecs import hookimpl
from zoo_core.extension.records import Architecture, Component, Task

# Names that need torch, and the module each comes from (imported on first use).
_LAZY = {
    "Encoder": "zoo_core.modeling.interfaces",
    "EncoderOutput": "zoo_core.modeling.interfaces",
    "Pooler": "zoo_core.modeling.interfaces",
    "Head": "zoo_core.modeling.interfaces",
    "Sampler": "zoo_core.modeling.interfaces",
    "SampledStep": "zoo_core.modeling.interfaces",
    "DecodedSequence": "zoo_core.modeling.interfaces",
    "lengths_to_mask": "zoo_core.modeling.interfaces",
    "last_real_state": "zoo_core.modeling.interfaces",
    "reverse_padded": "zoo_core.modeling.interfaces",
    "bucket_batches": "zoo_core.modeling.batching",
    "pad": "zoo_core.modeling.batching",
    "decode_token_by_token": "zoo_core.modeling.decoding",
    "build_component": "zoo_core.modeling.building",
    "choose_sampler": "zoo_core.modeling.building",
    "TaskRunner": "zoo_core.tasks.base",
    "TaskAbilities": "zoo_core.tasks.base",
    "DataOptions": "zoo_core.tasks.base",
}

__all__ = [
    # records and the hook marker
    "Architecture", "Component", "Task", "hookimpl",
    # configs
    "StrictConfig", "ComponentField",
    # errors (each reaches the user as one line)
    "ZooError", "ConfigError", "DataError", "UnknownNameError", "ArtifactError",
    # vocabularies and tokenizing
    "Vocab", "tokenize", "PAD", "UNK", "BOS", "EOS", "PAD_ID", "UNK_ID",
    # readers plugins reuse
    "Splits", "TextExample", "read_text", "read_classification", "split_examples", "rule_split", "bounded_counts",
    # torch side (loaded on first use)
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"zoo_core.plugin has no name {name!r}; the plugin API is zoo_core.plugin.__all__ "
                         "(docs/plugins.md)")


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # for type checkers and editors; at run time these load lazily above
    pass
