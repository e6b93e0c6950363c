"""The plugin API: everything a zoo plugin may import, and nothing else (docs/plugins.md, "The contract").

    from zoo_core.plugin import Architecture, Component, Encoder, EncoderOutput, StrictConfig, hookimpl

A plugin (first-party ones included) imports only this module, and ``zoo_core.testing`` in its tests; an
import-linter contract in the test suite holds the first-party plugins to it. Every name here is covered by
semantic versioning: removing or changing one is a major version of zoo-core. Anything else in ``zoo_core``
is internal and may change in any release.

Only the names a plugin's light module needs (records, hookimpl, configs, errors) are imported with this
module; the rest (vocabularies, readers, and everything that needs torch) load on first use, so a plugin's
hooks and configs import from here without slowing `zoo list` down.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# What a plugin's light module (hooks and configs) needs, imported now: no torch.
from zoo_core.config.sections import ComponentField, StrictConfig
from zoo_core.errors import ArtifactError, ConfigError, DataError, UnknownNameError, ZooError
from zoo_core.extension.hookspecs import hookimpl
from zoo_core.extension.records import Architecture, Component, Task

# Everything else, and the module each comes from, imported on first use: the torch side, and the data
# helpers, which `zoo list` never needs.
_LAZY = {
    "Vocab": "zoo_core.data.vocab",
    "tokenize": "zoo_core.data.vocab",
    "PAD": "zoo_core.data.vocab",
    "UNK": "zoo_core.data.vocab",
    "BOS": "zoo_core.data.vocab",
    "EOS": "zoo_core.data.vocab",
    "PAD_ID": "zoo_core.data.vocab",
    "UNK_ID": "zoo_core.data.vocab",
    "Splits": "zoo_core.data.readers",
    "TextExample": "zoo_core.data.readers",
    "read_text": "zoo_core.data.readers",
    "read_classification": "zoo_core.data.readers",
    "split_examples": "zoo_core.data.readers",
    "rule_split": "zoo_core.data.readers",
    "bounded_counts": "zoo_core.data.streaming",
    "SubwordVocab": "zoo_core.data.subword",
    "is_subword": "zoo_core.data.subword",
    "train_subword_vocab": "zoo_core.data.subword",
    "contextual_vocabs": "zoo_core.data.char_lm_vocab",
    "ContextualStringEmbeddings": "zoo_core.modeling.components.contextual",
    "load_char_lms": "zoo_core.modeling.components.contextual",
    "Encoder": "zoo_core.modeling.interfaces",
    "EncoderOutput": "zoo_core.modeling.interfaces",
    "Pooler": "zoo_core.modeling.interfaces",
    "Head": "zoo_core.modeling.interfaces",
    "Sampler": "zoo_core.modeling.interfaces",
    "SampledStep": "zoo_core.modeling.interfaces",
    "DecodedSequence": "zoo_core.modeling.interfaces",
    "lengths_to_mask": "zoo_core.modeling.interfaces",
    "is_unpadded": "zoo_core.modeling.interfaces",
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
    # vocabularies, tokenizing, readers plugins reuse, and the torch side (loaded on first use)
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
    from zoo_core.data.char_lm_vocab import contextual_vocabs  # noqa: F401
    from zoo_core.data.readers import Splits, TextExample, read_classification, read_text, rule_split, split_examples  # noqa: F401
    from zoo_core.data.streaming import bounded_counts  # noqa: F401
    from zoo_core.data.subword import SubwordVocab, is_subword, train_subword_vocab  # noqa: F401
    from zoo_core.data.vocab import BOS, EOS, PAD, PAD_ID, UNK, UNK_ID, Vocab, tokenize  # noqa: F401
    from zoo_core.modeling.components.contextual import ContextualStringEmbeddings, load_char_lms  # noqa: F401
    pass
