"""Configs of the poolers (light: imported when listing, so no torch)."""
from typing import ClassVar, Literal

from pydantic import Field

from zoo_core.plugin import StrictConfig


class MeanPoolerConfig(StrictConfig):
    type: Literal["mean"] = "mean"


class MaxPoolerConfig(StrictConfig):
    type: Literal["max"] = "max"


class AttentionPoolerConfig(StrictConfig):
    type: Literal["attention"] = "attention"
    heads: int = Field(1, ge=1, le=64, description="Attention heads (Lin et al. 2017's r); their outputs are concatenated.")
    hidden_size: int = Field(128, ge=1, le=4096, description="Size of the scoring layer (Lin et al. 2017's d_a).")


class ConcatPoolerConfig(StrictConfig):
    type: Literal["concat"] = "concat"


class EndsPoolerConfig(StrictConfig):
    type: Literal["ends"] = "ends"
    # Read by the classify head: this pooler splits states into the two directions.
    requires_bidirectional: ClassVar[bool] = True
