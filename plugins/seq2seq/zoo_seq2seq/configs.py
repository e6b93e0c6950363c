"""Configs of the seq2seq task, the decoder head and the beam sampler (light: no torch)."""
from typing import Literal, Optional

from pydantic import Field

from zoo_core.plugin import StrictConfig


class Seq2SeqDataConfig(StrictConfig):
    max_length: int = Field(100, ge=1, le=10000, description="Source tokens kept (longer sentences are truncated, with a warning).")
    max_target_length: int = Field(100, ge=1, le=10000, description="Target tokens kept in training and most generated.")
    max_words: Optional[int] = Field(None, ge=1, description="Drop pairs with more whitespace words than this on either side; null keeps all.")
    select_on: Literal["bleu", "loss"] = Field("bleu", description="Validation metric that picks the best epoch and stops early.")
    valid_bleu_sentences: int = Field(3000, ge=1, description="Validation sentences decoded for BLEU each epoch (loss uses all).")


class AttentionDecoderConfig(StrictConfig):
    type: Literal["attention-decoder"] = "attention-decoder"
    cell: Literal["gru", "lstm"] = Field("gru", description="Recurrent cell of the decoder.")
    attention: Literal["additive", "dot", "general", "none"] = Field(
        "additive", description="additive (Bahdanau 2015), dot or general (Luong 2015), or none (plain encoder-decoder).")
    hidden_size: int = Field(256, ge=1, le=8192, description="Decoder hidden units.")
    embedding_dim: int = Field(128, ge=1, le=4096, description="Size of the target token embeddings.")
    attention_dim: int = Field(256, ge=1, le=8192, description="Size of the additive attention's hidden layer.")
    input_feeding: bool = Field(False, description="Luong: feed the previous attentional vector into the next step.")
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="Dropout on target embeddings and before the output layer.")
    teacher_forcing: float = Field(1.0, ge=0.0, le=1.0, description="Share of training steps fed the true previous token.")
    label_smoothing: float = Field(0.0, ge=0.0, lt=1.0, description="Label smoothing of the training loss.")


class BeamSamplerConfig(StrictConfig):
    type: Literal["beam"] = "beam"
    width: int = Field(5, ge=1, le=256, description="Hypotheses kept per sentence.")
    alpha: float = Field(1.0, ge=0.0, le=5.0, description="Length normalisation: rank by log-prob / length**alpha (0: none).")
