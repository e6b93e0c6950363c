"""The interface each task implements; the trainer and the CLI only talk to this."""
from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Optional, Sequence

from torch import Tensor

from zoo_core.config.sections import ModelConfig
from zoo_core.data.vocab import Vocab


@dataclass
class DataOptions:
    """How to read the data (`zoo train/eval` options); not stored with the model."""

    path: Optional[str] = None
    format: Optional[str] = None
    text_field: Optional[str] = None
    label_field: Optional[str] = None
    valid: Optional[str] = None
    test: Optional[str] = None
    extra: dict = field(default_factory=dict)


@dataclass
class Splits:
    train: list
    valid: list
    test: list


class TaskRunner:
    """A task: data, vocabularies, batches, metrics and output for one kind of model."""

    name: str = ""
    primary_metric: str = "accuracy"
    higher_is_better: bool = True
    #: Whether `load_splits` honours training.stream (reads data lazily); others refuse it.
    supports_streaming: bool = False

    def __init__(self, config: ModelConfig):
        self.config = config

    # data ---------------------------------------------------------------------------------
    def default_data(self, directory: Path) -> str:
        """Write the task's embedded data set under ``directory``; return the path to train on."""
        raise NotImplementedError(f"task {self.name} has no embedded data set; give --data")

    def load_splits(self, options: DataOptions) -> Splits:
        raise NotImplementedError

    def load_eval(self, options: DataOptions) -> list:
        """Examples to evaluate a trained model on (`zoo eval`): the test split if the data has one."""
        splits = self.load_splits(options)
        return splits.test or splits.valid or splits.train

    def build_vocabs(self, train: Sequence) -> dict[str, Vocab]:
        raise NotImplementedError

    def example_batch(self, vocabs: dict[str, Vocab], batch_size: int, device) -> dict:
        """A tiny random batch of the task's shape, with padding (the conformance kit's input)."""
        raise NotImplementedError(f"task '{self.name}' has no example_batch; implement "
                                  "TaskRunner.example_batch so zoo_core.testing can check its architectures")

    def head_context(self, vocabs: dict[str, Vocab]) -> dict:
        """Extra constructor arguments for the head (``num_labels``...)."""
        return {}

    def token_features(self, vocabs: dict[str, Vocab]):
        """An optional module ``(batch) -> (batch, time, out_dim)`` of extra per-token inputs (e.g. a
        char-CNN reading ``batch["chars"]``), concatenated to the token embeddings; None for none."""
        return None

    def encode(self, examples: Sequence, vocabs: dict[str, Vocab]) -> list:
        """Turn examples into id sequences once, before training."""
        raise NotImplementedError

    def batches(self, encoded: list, batch_size: int, device, shuffle: bool, rng: random.Random) -> Iterator[dict]:
        raise NotImplementedError

    def train_batches(self, encoded, batch_size: int, device, rng: random.Random, rank: int = 0,
                      world_size: int = 1) -> Iterator[dict]:
        """Process ``rank``'s share of one training epoch: every process draws the same shuffled batches
        (same seed) and keeps every ``world_size``-th one. Tasks whose batches depend on each other
        (an LM's carried state) override this to split rows instead."""
        if world_size > 1 and hasattr(encoded, "shard"):  # a stream: each process reads only its examples
            return self.batches(encoded.shard(rank, world_size), batch_size, device, shuffle=True, rng=rng)
        batches = self.batches(encoded, batch_size, device, shuffle=True, rng=rng)
        return batches if world_size == 1 else itertools.islice(batches, rank, None, world_size)

    def num_batches(self, encoded: list, batch_size: int) -> Optional[int]:
        """How many batches `batches` yields (for the progress bar); None if unknown."""
        return -(-len(encoded) // batch_size)

    # training -----------------------------------------------------------------------------
    def train_step(self, model, batch: dict, carry: Any) -> tuple[Tensor, Any]:
        """Loss of one batch; ``carry`` is what a task keeps between batches (an LM's state)."""
        logits, _ = model(batch)
        return model.head.loss(logits, batch), None

    def count_tokens(self, batch: dict) -> int:
        return int(batch["lengths"].sum())

    def evaluate(self, model, encoded: list) -> dict:
        raise NotImplementedError

    def evaluate_report(self, model, encoded: list) -> dict:
        """`zoo eval`'s metrics: evaluate's, plus any detail (nested dicts, e.g. per tag type)."""
        return self.evaluate(model, encoded)

    # inference ----------------------------------------------------------------------------
    def predict(self, model, inputs: list[str], **options) -> list[dict]:
        raise NotImplementedError

    def render(self, result: dict) -> str:
        return str(result.get("prediction"))

    #: `zoo run` options (keyword names) this task accepts; others are refused with one line.
    run_options: frozenset = frozenset()

    def run_cli(self, model, inputs: list[str], as_json: bool, **options) -> None:
        """`zoo run`: results to stdout, one line (or JSON object) per input, as they are ready.

        Tasks that generate text override this to stream tokens as they come.
        """
        for batch in in_batches(inputs):
            for result in self.predict(model, batch, **options):
                self.echo_result(result, as_json)

    def echo_result(self, record: dict, as_json: bool, text: Optional[str] = None) -> None:
        """One `zoo run` result on stdout: ``record`` as JSON, else ``text`` (default: ``render(record)``)."""
        import json

        import click

        if as_json:
            click.echo(json.dumps(record, ensure_ascii=False))
        else:
            click.echo(text if text is not None else self.render(record))


RUN_BATCH = 64  # inputs `zoo run` predicts together: output starts before a long stdin is done


def in_batches(items: list, size: int = RUN_BATCH) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
