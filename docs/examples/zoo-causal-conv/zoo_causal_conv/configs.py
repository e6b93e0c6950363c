"""Configs of the causal-conv encoder (light: imported when listing, so no torch)."""
from typing import Literal

from pydantic import Field

from zoo_core.plugin import StrictConfig


class CausalConvConfig(StrictConfig):
    type: Literal["causal-conv"] = "causal-conv"
    hidden_size: int = Field(128, ge=1, le=4096, description="Channels of each convolution (the encoder's out_dim).")
    kernel_size: int = Field(3, ge=1, le=31, description="Tokens each convolution sees: this one and those before.")
    num_layers: int = Field(2, ge=1, le=16, description="Stacked convolutions; each widens the view by kernel_size - 1.")
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="Dropout after each convolution during training.")
