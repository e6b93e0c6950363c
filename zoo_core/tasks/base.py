"""The interface each task implements. The trainer, the CLI and the Python API talk only to this.

A task has five jobs, one group of methods each: reading data into splits; building vocabularies; turning
examples into id sequences and batches; the training step and metrics; inference. It returns data, never text:
printing, colours and pictures are the CLI's (zoo_core/cli). What a task can do beyond the five jobs it
declares in ``abilities``; nothing asks with ``hasattr``.

One task instance serves one model: `zoo train` builds it, reads the data with it and hands it to the model.
"""
from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Optional, Sequence

from torch import Tensor

from zoo_core.config.sections import ModelConfig
from zoo_core.data.readers import Splits
from zoo_core.data.streaming import EncodedStream
from zoo_core.data.vocab import Vocab
from zoo_core.errors import DataError


@dataclass
class DataOptions:
    """How to read the data (`zoo train/eval` options); not stored with the model."""

    path: Optional[str] = None
    format: Optional[str] = None
    text_field: Optional[str] = None
    label_field: Optional[str] = None
    valid: Optional[str] = None
    test: Optional[str] = None
    #: `zoo eval --split`: score only the examples the data's split rule puts in this split; None scores all.
    split: Optional[str] = None
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class TaskAbilities:
    """What a task can do beyond training, evaluating and predicting, declared once per task class."""

    #: ``load_splits`` honours ``training.stream`` (reads the training file lazily); others refuse --stream.
    streaming_data: bool = False
    #: ``generate(model, prompt, **options)`` yields tokens as they are made (`zoo run` streams them).
    generation: bool = False
    #: ``predict(..., explain=True)`` adds ``tokens`` and each token's ``weights`` (`zoo run --explain`).
    token_weights: bool = False
    #: ``predict(..., attention=True)`` adds ``source_tokens`` and a target x source ``attention`` matrix.
    attention_maps: bool = False
    #: ``embedding.contextual`` works: the task adds the char LMs' vocabularies and reads their vectors.
    contextual_embeddings: bool = False


class TaskRunner:
    """A task: data, vocabularies, batches, the training step, metrics and inference for one kind of model."""

    name: str = ""
    primary_metric: str = "accuracy"
    higher_is_better: bool = True
    abilities: TaskAbilities = TaskAbilities()
    #: Keyword options ``predict`` (and ``generate``) accept, as `zoo run` flags; others are refused in one line.
    run_options: frozenset = frozenset()
    #: Keyword options ``evaluate_report`` accepts, as `zoo eval` flags (e.g. ``beam``); others are refused.
    eval_options: frozenset = frozenset()
    #: Examples scored together at evaluation and inference (`zoo run/eval --batch-size`).
    inference_batch_size: int = 256

    def __init__(self, config: ModelConfig):
        self.config = config

    # data and splits -----------------------------------------------------------------------
    def default_data(self, directory: Path) -> str:
        """Write the task's embedded data set under ``directory``; return the path to train on."""
        raise NotImplementedError(f"task {self.name} has no embedded data set; give --data")

    def load_splits(self, options: DataOptions) -> Splits:
        raise NotImplementedError

    def load_eval(self, options: DataOptions) -> list:
        """Examples to evaluate a trained model on (`zoo eval`): every example of ``options.path``, or with
        ``options.split`` only those the data's split rule puts in that split. This default goes through
        ``load_splits``; tasks override it to read the file whole (no training split needed)."""
        splits = self.load_splits(options)
        if options.split:
            return require_split(getattr(splits, options.split), options)
        return [*splits.train, *splits.valid, *splits.test]

    def count_examples(self, examples) -> int:
        """How many examples ``load_eval`` gave (`zoo eval` prints it as ``examples``)."""
        return len(examples)

    # vocabularies and what the model is built with -------------------------------------------
    def build_vocabs(self, train: Sequence) -> dict[str, Vocab]:
        raise NotImplementedError

    def use_vocabs(self, vocabs: dict[str, Vocab]) -> None:
        """Called once the model's vocabularies are known (trained or loaded), before anything else uses the
        task: what the task learns from them (e.g. whether the tags mark spans)."""

    def head_context(self, vocabs: dict[str, Vocab]) -> dict:
        """Extra constructor arguments for the head (``num_labels``...)."""
        return {}

    def token_features(self, vocabs: dict[str, Vocab]):
        """An optional module ``(batch) -> (batch, time, out_dim)`` of extra per-token inputs (e.g. a
        char-CNN reading ``batch["chars"]``), concatenated to the token embeddings; None for none."""
        return None

    # ids and batches ---------------------------------------------------------------------------
    def encode(self, examples: Sequence, vocabs: dict[str, Vocab]) -> list:
        """Turn examples into id sequences once, before training."""
        raise NotImplementedError

    def batches(self, encoded: list, batch_size: int, device, shuffle: bool, rng: random.Random) -> Iterator[dict]:
        raise NotImplementedError

    def num_batches(self, encoded: list, batch_size: int) -> Optional[int]:
        """How many batches `batches` yields (for the progress bar); None if unknown."""
        return -(-len(encoded) // batch_size)

    def train_batches(self, encoded, batch_size: int, device, rng: random.Random, rank: int = 0,
                      world_size: int = 1) -> Iterator[dict]:
        """Process ``rank``'s share of one training epoch: every process draws the same shuffled batches
        (same seed) and keeps every ``world_size``-th one. Tasks whose batches depend on each other
        (an LM's carried state) override this to split rows instead."""
        if world_size > 1 and isinstance(encoded, EncodedStream):  # each process reads only its examples
            return self.batches(encoded.shard(rank, world_size), batch_size, device, shuffle=True, rng=rng)
        batches = self.batches(encoded, batch_size, device, shuffle=True, rng=rng)
        return batches if world_size == 1 else itertools.islice(batches, rank, None, world_size)

    def example_batch(self, vocabs: dict[str, Vocab], batch_size: int, device) -> dict:
        """A tiny random batch of the task's shape, with padding (the conformance kit's input)."""
        raise NotImplementedError(f"task '{self.name}' has no example_batch; implement "
                                  "TaskRunner.example_batch so zoo_core.testing can check its architectures")

    # training step and metrics -------------------------------------------------------------------
    def train_step(self, model, batch: dict, carry: Any) -> tuple[Tensor, Any]:
        """Loss of one batch; ``carry`` is what a task keeps between batches (an LM's state)."""
        logits, _ = model(batch)
        return model.head.loss(logits, batch), None

    def count_tokens(self, batch: dict) -> int:
        return int(batch["lengths"].sum())

    def evaluate(self, model, encoded: list) -> dict:
        raise NotImplementedError

    def evaluate_report(self, model, encoded: list, **options) -> dict:
        """`zoo eval`'s metrics: evaluate's, plus any detail (nested dicts, e.g. per tag type); ``options`` are
        the task's ``eval_options``."""
        return self.evaluate(model, encoded)

    # inference -----------------------------------------------------------------------------------
    def predict(self, model, inputs: list[str], **options) -> list[dict]:
        """One record per input (the `zoo run --json` schema of the task): at least ``input`` and ``prediction``."""
        raise NotImplementedError

    def generate(self, model, prompt: str = "", **options) -> Iterator[Any]:
        """Tokens after ``prompt`` as they are made, each with a ``text`` (tasks with ``abilities.generation``)."""
        raise NotImplementedError(f"a {self.name} model does not generate text; use predict() instead")


SPLITS = ("train", "valid", "test")


def require_split(examples, options: DataOptions):
    """The examples of ``options.split``, or one line saying the split rule leaves it empty."""
    if options.split not in SPLITS:
        raise DataError(f"--split {options.split}: use one of {', '.join(SPLITS)} (left out: every example)")
    if not examples:
        raise DataError(f"{options.path}: the data's split rule puts no examples in the {options.split} split; "
                        "leave out --split to score every example")
    return examples
