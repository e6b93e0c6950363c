"""Configs of the language-model task, head and samplers (light: no torch)."""
from typing import Literal

from pydantic import Field

from zoo_core.plugin import StrictConfig


class LMDataConfig(StrictConfig):
    chunk_length: int = Field(128, ge=1, le=100000, description="Tokens per training chunk (truncated back-propagation length).")
    valid_fraction: float = Field(0.1, ge=0.0, lt=1.0, description="Last fraction of the corpus's tokens held out for validation.")
    max_corpus_mb: float = Field(64.0, gt=0.0, description="Refuse corpora larger than this many megabytes of text.")
    reverse: bool = Field(False, description="Train on each document's tokens in reverse order (a backward "
                          "language model, e.g. for contextual string embeddings; docs/transfer.md).")


class LMHeadConfig(StrictConfig):
    type: Literal["lm"] = "lm"
    tie_weights: bool = Field(False, description="Share the output layer's weights with the input embedding "
                                                 "(a projection is added when the sizes differ).")
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="Dropout before the output layer.")


class TemperatureSamplerConfig(StrictConfig):
    type: Literal["temperature"] = "temperature"
    temperature: float = Field(1.0, ge=0.0, le=100.0, description="Divide logits by this; 0 means greedy.")


class TopKSamplerConfig(TemperatureSamplerConfig):
    type: Literal["top-k"] = "top-k"
    top_k: int = Field(40, ge=1, le=1_000_000, description="Sample among the K most likely tokens.")


class TopPSamplerConfig(TemperatureSamplerConfig):
    type: Literal["top-p"] = "top-p"
    top_p: float = Field(0.9, gt=0.0, le=1.0, description="Sample among the fewest tokens whose probability reaches P.")
