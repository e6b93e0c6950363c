"""Configs of the core's own components and of the classify task's data section (light: no torch)."""
from typing import Any, Literal

from pydantic import Field

from zoo_core.config.sections import ComponentField, StrictConfig


class LastPoolerConfig(StrictConfig):
    type: Literal["last"] = "last"


class ClassifyHeadConfig(StrictConfig):
    type: Literal["classify"] = "classify"
    pooling: Any = ComponentField("pooler", "last", "How states become one vector: a pooler name or {type: ...}.")
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="Dropout before the output layer.")
    hidden_size: int = Field(0, ge=0, le=8192, description="Size of a hidden layer before the output; 0 for none.")


class GreedySamplerConfig(StrictConfig):
    type: Literal["greedy"] = "greedy"


class ClassifyDataConfig(StrictConfig):
    max_length: int = Field(400, ge=1, description="Tokens kept from each text (longer texts are cut).")
