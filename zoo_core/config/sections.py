"""The config sections every architecture shares (tokenizer, embedding, training) and the whole-model config."""
from __future__ import annotations

from typing import Annotated, Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, model_validator


class StrictConfig(BaseModel):
    """Base of every config: unknown keys are errors, values are re-checked on assignment, and types are strict
    (true is not an int, "8" is not a number; an int is still a float)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, strict=True)


def ComponentField(kind: str, default: Any, description: str = ""):  # noqa: N802 - reads like Field
    """A config field that names another component, e.g. a head's pooler.

    The value is a name (``"max"``) or an object with ``type`` (``{"type": "attention", "heads": 2}``);
    the registry validates it against that component's own config.
    """
    return Field(default=default, description=description, json_schema_extra={"zoo_component": kind})


class TokenizerConfig(StrictConfig):
    type: Literal["word", "char", "bpe", "unigram"] = Field(
        "word", description="Split text into words, characters, or subwords learnt from the training split "
        "(bpe, unigram: Hugging Face tokenizers, extra 'subword'; docs/transfer.md).")
    lowercase: bool = Field(True, description="Lower-case text before tokenizing.")
    min_freq: int = Field(1, ge=1, description="Drop tokens seen fewer times than this in training data.")
    max_size: Optional[int] = Field(30000, ge=2, description="Keep at most this many tokens (most frequent first).")
    vocab_size: int = Field(8000, ge=8, le=1_000_000, description="bpe, unigram: the number of subword pieces "
                            "learnt (specials included); max_size does not apply to them.")


class EmbeddingConfig(StrictConfig):
    dim: int = Field(128, ge=1, le=4096, description="Size of each token's embedding vector.")
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="Dropout on embeddings during training.")
    word_dropout: float = Field(0.0, ge=0.0, lt=1.0, description="Drop whole tokens' embeddings with this "
                                "probability during training (Iyyer et al. 2015; AWD-LSTM's embedding dropout).")
    pretrained: Optional[str] = Field(None, description="Word vectors to start the embedding from: a word2vec/GloVe "
                                      "text file, fastText .vec, word2vec binary (.bin), .gz too (docs/transfer.md). "
                                      "Read once at training; the vectors are then stored in the model file.")
    freeze: bool = Field(False, description="Keep the embedding fixed while training (same as training.freeze "
                         "including embedding).")
    contextual: list[str] = Field(default_factory=list, max_length=8, description="Saved character LMs (store "
                                  "names or paths; a forward and a data.reverse=true one) whose states at each word's "
                                  "boundaries join its embedding: contextual string embeddings (taggers; "
                                  "docs/transfer.md). Their weights are copied into the model file.")


class ScheduleConfig(StrictConfig):
    """How the learning rate changes over the run (docs/training.md)."""

    type: Literal["constant", "linear", "cosine", "plateau"] = Field(
        "constant", description="constant, linear or cosine decay (after any warmup, per optimizer step), or "
        "plateau: multiply by factor when the validation score has not improved for patience epochs.")
    warmup_steps: int = Field(0, ge=0, le=10_000_000, description="Optimizer steps of linear warmup from lr/warmup "
                              "to lr (not with plateau).")
    warmup_fraction: float = Field(0.0, ge=0.0, lt=1.0, description="Warmup as a fraction of the run's steps "
                                   "(instead of warmup_steps).")
    min_lr_ratio: float = Field(0.0, ge=0.0, le=1.0, description="linear/cosine: the learning rate decays to "
                                "lr x this at the last step.")
    total_steps: Optional[int] = Field(None, ge=1, description="linear/cosine: steps to decay over; null: the "
                                       "run's epochs x steps per epoch.")
    factor: float = Field(0.5, gt=0.0, lt=1.0, description="plateau: multiply the learning rate by this.")
    patience: int = Field(1, ge=0, le=10000, description="plateau: epochs without improvement before reducing.")

    @model_validator(mode="after")
    def _one_warmup(self):
        if self.warmup_steps and self.warmup_fraction:
            raise ValueError("give warmup_steps or warmup_fraction, not both")
        if self.type == "plateau" and (self.warmup_steps or self.warmup_fraction):
            raise ValueError("plateau has no warmup: set warmup_steps=0 and warmup_fraction=0, or use linear/cosine")
        return self


#: The parts of a model that training settings can name, from the input to the output.
ModelPart = Literal["embedding", "token_features", "encoder", "head"]


class TrainingConfig(StrictConfig):
    epochs: int = Field(10, ge=1, le=10000, description="Maximum passes over the training data.")
    batch_size: int = Field(32, ge=1, le=65536, description="Examples per optimizer step.")
    lr: float = Field(1e-3, gt=0.0, le=10.0, description="AdamW learning rate.")
    weight_decay: float = Field(0.0, ge=0.0, description="AdamW weight decay.")
    clip_norm: Optional[float] = Field(5.0, gt=0.0, description="Clip the gradient norm to this; null for none.")
    patience: Optional[int] = Field(3, ge=1, description="Stop after this many epochs without a better validation score.")
    seed: int = Field(0, ge=0, le=2**32 - 1, description="Seed for weights, shuffling and dropout (0 to 2**32 - 1).")
    device: str = Field("auto", pattern=r"^(auto|cpu|cuda|cuda:\d+|mps)$", description="auto, cpu, cuda, cuda:N or mps.")
    max_minutes: Optional[float] = Field(None, gt=0.0, description="Stop training after this many minutes.")
    bucket: bool = Field(True, description="Batch examples of similar length together (less padding, faster).")
    precision: Literal["fp32", "bf16", "fp16"] = Field(
        "fp32", description="Autocast precision: fp32 (none), bf16 (recent CPUs, GPUs) or fp16 (GPUs, with a gradient scaler).")
    accumulate: int = Field(1, ge=1, le=4096, description="Batches whose gradients add up to one optimizer step "
                            "(effective batch: batch_size x accumulate x processes).")
    stream: bool = Field(False, description="Read the training file as a stream instead of loading it whole "
                         "(for data larger than memory; docs/scale.md).")
    shuffle_buffer: int = Field(20000, ge=1, description="Examples held and shuffled together when streaming.")
    init: Optional[str] = Field(None, description="Start from this saved model (store name or path): its weights "
                                "are copied by role where shapes fit (docs/transfer.md); null starts from scratch.")
    freeze: list[ModelPart] = Field(default_factory=list, description="Parts kept fixed while training: "
                                    "embedding, token_features, encoder, head.")
    unfreeze_every: Optional[int] = Field(None, ge=1, le=10000, description="Gradual unfreezing: every N epochs "
                                          "the frozen part nearest the output starts training; null keeps them frozen.")
    lr_multipliers: dict[ModelPart, Annotated[float, Field(gt=0.0, le=1000.0)]] = Field(
        default_factory=dict, description="Learning-rate factor per part (discriminative fine-tuning), "
        'e.g. {"embedding": 0.1, "encoder": 0.3}; parts left out train at training.lr.')
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig, description="Learning-rate schedule: "
                                     "constant, linear, cosine (with warmup) or plateau.")
    checkpoint_minutes: Optional[float] = Field(None, gt=0.0, description="Also write a checkpoint every this many "
                                                "minutes within an epoch (one is always written after each epoch).")


SECTIONS = {"tokenizer": TokenizerConfig, "embedding": EmbeddingConfig, "training": TrainingConfig}
COMPONENT_SECTIONS = ("encoder", "head")


class ModelConfig(BaseModel):
    """A whole architecture's config: what `zoo info` shows and what is stored with the weights."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    architecture: str
    task: str
    tokenizer: TokenizerConfig
    embedding: EmbeddingConfig
    encoder: Any
    head: Any
    data: Any
    training: TrainingConfig

    def to_dict(self) -> dict:
        return self.model_dump(mode="json")
