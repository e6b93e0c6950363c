"""What a plugin registers: light descriptions that point to where the heavy code lives.

Nothing here imports torch, so listing models stays fast.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Optional

from pydantic import BaseModel

COMPONENT_KINDS = ("encoder", "head", "pooler", "sampler")


@dataclass(frozen=True)
class Component:
    """A named encoder, head, pooler or sampler.

    ``config`` is its pydantic config class; ``impl`` is "module:attribute" of the
    torch class, imported only when a model is built.
    """

    kind: str
    name: str
    config: type[BaseModel]
    impl: str
    description: str = ""
    plugin: str = ""

    def load(self) -> Any:
        return import_object(self.impl)


@dataclass(frozen=True)
class Architecture:
    """A named preset: a task, a one-line description and config defaults.

    ``defaults`` is a partial config: ``{"encoder": {"type": "lstm"}, "head": {...}}``.
    """

    name: str
    task: str
    description: str
    defaults: dict = field(default_factory=dict)
    plugin: str = ""


@dataclass(frozen=True)
class Task:
    """A task (classify, lm, tag, seq2seq): data, batches, metrics and output.

    ``impl`` is "module:attribute" of the class implementing :class:`zoo_core.tasks.base.TaskRunner`;
    ``data_config`` is the pydantic class of the task's ``data`` config section (lengths, chunk sizes).
    """

    name: str
    impl: str
    description: str = ""
    data_config: Optional[type[BaseModel]] = None
    plugin: str = ""

    def load(self) -> Any:
        return import_object(self.impl)


def import_object(path: str):
    """Import "package.module:attribute"."""
    module_name, _, attribute = path.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attribute) if attribute else module
