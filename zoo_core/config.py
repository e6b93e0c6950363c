"""Config models shared by every architecture, and the machinery that turns an architecture's
defaults plus user overrides into one validated config."""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from zoo_core.errors import ConfigError


class StrictConfig(BaseModel):
    """Base of every config: unknown keys are errors, values are re-checked on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


def ComponentField(kind: str, default: Any, description: str = ""):  # noqa: N802 - reads like Field
    """A config field that names another component, e.g. a head's pooler.

    The value is a name (``"max"``) or an object with ``type`` (``{"type": "attention", "heads": 2}``);
    the registry validates it against that component's own config.
    """
    return Field(default=default, description=description, json_schema_extra={"zoo_component": kind})


class TokenizerConfig(StrictConfig):
    type: Literal["word", "char"] = Field("word", description="Split text into words or characters.")
    lowercase: bool = Field(True, description="Lower-case text before tokenizing.")
    min_freq: int = Field(1, ge=1, description="Drop tokens seen fewer times than this in training data.")
    max_size: Optional[int] = Field(30000, ge=2, description="Keep at most this many tokens (most frequent first).")


class EmbeddingConfig(StrictConfig):
    dim: int = Field(128, ge=1, le=4096, description="Size of each token's embedding vector.")
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="Dropout on embeddings during training.")
    word_dropout: float = Field(0.0, ge=0.0, lt=1.0, description="Drop whole tokens' embeddings with this "
                                "probability during training (Iyyer et al. 2015; AWD-LSTM's embedding dropout).")


class TrainingConfig(StrictConfig):
    epochs: int = Field(10, ge=1, le=10000, description="Maximum passes over the training data.")
    batch_size: int = Field(32, ge=1, le=65536, description="Examples per optimizer step.")
    lr: float = Field(1e-3, gt=0.0, le=10.0, description="AdamW learning rate.")
    weight_decay: float = Field(0.0, ge=0.0, description="AdamW weight decay.")
    clip_norm: Optional[float] = Field(5.0, gt=0.0, description="Clip the gradient norm to this; null for none.")
    patience: Optional[int] = Field(3, ge=1, description="Stop after this many epochs without a better validation score.")
    seed: int = Field(0, description="Seed for weights, shuffling and dropout.")
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


# --- overrides -----------------------------------------------------------------------------

def parse_set_value(raw: str) -> Any:
    """`--set key=value`: the value is JSON when it parses, else a plain string."""
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def parse_set_options(items: list[str] | tuple[str, ...]) -> dict:
    """Turn ["encoder.hidden_size=64", ...] into a nested dict."""
    nested: dict = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set {item!r}: expected KEY.PATH=VALUE, for example --set encoder.hidden_size=64")
        set_path(nested, key.strip(), parse_set_value(raw))
    return nested


def set_path(target: dict, dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    for part in parts[:-1]:
        child = target.get(part)
        if isinstance(child, str):  # "pooling": "max" then pooling.heads=2
            child = {"type": child}
        if not isinstance(child, dict):
            child = {}
        target[part] = child
        target = child
    target[parts[-1]] = value


def read_config_file(path: str | Path) -> dict:
    """Read a TOML or JSON config file into a dict."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist; give a TOML or JSON file to --config")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() == ".toml":
            import tomllib

            return tomllib.loads(text)
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(f"{path}:{error.lineno}: not valid JSON ({error.msg}); fix the file or use TOML") from None
    except Exception as error:  # tomllib.TOMLDecodeError carries the line in its message
        raise ConfigError(f"{path}: not valid TOML ({error})") from None


INHERITED_KEYS = "__inherited__"  # defaults carried over from a component's previous type


def as_component(value: Any) -> Any:
    """A component given by name is shorthand for {"type": name}."""
    return {"type": value} if isinstance(value, str) else value


def merge_config(base: dict, override: dict) -> dict:
    """Deep-merge ``override`` into a copy of ``base``.

    When an override switches a component to another type, only the defaults that the new
    type shares stay (a GRU takes an LSTM's sizes but not an option only LSTMs have).
    """
    merged = copy.deepcopy(base)
    for key, value in override.items():
        old = merged.get(key)
        if isinstance(value, (dict, str)) and isinstance(old, (dict, str)) and (
            isinstance(value, dict) or isinstance(old, dict)
        ):
            old_dict, new_dict = as_component(old), as_component(value)
            if isinstance(old_dict, dict) and isinstance(new_dict, dict) and (
                "type" not in new_dict or "type" not in old_dict or new_dict["type"] == old_dict["type"]
            ):
                merged[key] = merge_config(old_dict, new_dict)
                continue
            if isinstance(old_dict, dict) and isinstance(new_dict, dict):
                inherited = [k for k in old_dict if k != "type" and k not in new_dict]
                merged[key] = {**old_dict, **new_dict, INHERITED_KEYS: inherited}
                continue
        merged[key] = copy.deepcopy(value)
    return merged


def format_validation_error(error: ValidationError, prefix: str) -> str:
    """One line naming the first failing field, the bound it broke and the value given."""
    first = error.errors()[0]
    location = ".".join(str(part) for part in (prefix, *first["loc"]) if part != "")
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        return f"{location}: unknown setting; `zoo info` lists the settings"
    given = first.get("input")
    if isinstance(given, (dict, list)):
        return f"{location}: {message}"
    return f"{location}: {message} (got {given!r})"
