"""Configs of the recurrent encoders (light: imported when listing, so no torch)."""
from typing import Literal

from pydantic import Field

from zoo_core.plugin import StrictConfig


class RecurrentConfig(StrictConfig):
    hidden_size: int = Field(256, ge=1, le=8192, description="Hidden units per direction.")
    num_layers: int = Field(1, ge=1, le=16, description="Stacked recurrent layers.")
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="Dropout between layers and on the output.")
    bidirectional: bool = Field(False, description="Also run right-to-left and concatenate both directions.")


class RNNConfig(RecurrentConfig):
    type: Literal["rnn"] = "rnn"


class LSTMConfig(RecurrentConfig):
    type: Literal["lstm"] = "lstm"


class GRUConfig(RecurrentConfig):
    type: Literal["gru"] = "gru"
