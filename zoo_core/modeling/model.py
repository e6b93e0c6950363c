"""A zoo model: Embedding + Encoder + Head, composed in this one place from one validated config."""
from __future__ import annotations

import contextlib
from typing import Any, Iterator

import torch
from torch import Tensor, nn

from zoo_core.config.overrides import check_keywords
from zoo_core.config.sections import ModelConfig
from zoo_core.data.vocab import PAD_ID, Vocab
from zoo_core.errors import ConfigError, ZooError
from zoo_core.extension.registry import Registry, get_registry
from zoo_core.modeling.interfaces import EncoderOutput, lengths_to_mask, undeclared
from zoo_core.modeling.saving import save_model


class ZooModel(nn.Module):
    """The model a user trains, saves, loads and runs.

    ``vocabs`` holds at least ``"tokens"`` (the input vocabulary); tasks add their own
    (``"labels"``, ``"target"``). ``task`` is the task runner that knows data, metrics and output.
    """

    def __init__(self, config: ModelConfig, vocabs: dict[str, Vocab], registry: Registry | None = None,
                 task=None):
        super().__init__()
        registry = registry or get_registry()
        self.config = config
        self.vocabs = vocabs
        # `zoo train` passes the task instance that read the data: one task per model.
        self.task = task if task is not None else registry.task(config.task).load()(config)
        self.task.use_vocabs(vocabs)
        if config.embedding.contextual and not self.task.abilities.contextual_embeddings:
            raise ConfigError(f"embedding.contextual: the {config.task} task does not read contextual string "
                              "embeddings (the tag task does); remove the setting")
        self.training_summary: dict = {}
        self.embedding = nn.Embedding(len(vocabs["tokens"]), config.embedding.dim, padding_idx=PAD_ID)
        self.embedding_dropout = nn.Dropout(config.embedding.dropout)
        encoder_class = registry.component("encoder", config.encoder.type).load()
        # Extra per-token inputs from the task (a tagger's char-CNN), concatenated to the embeddings.
        self.token_features = self.task.token_features(vocabs)
        extra_dim = self.token_features.out_dim if self.token_features is not None else 0
        self.encoder = encoder_class(config.encoder, input_dim=config.embedding.dim + extra_dim)
        missing = undeclared(self.encoder)
        if missing:  # no default: a wrong guess would let a head or task misuse the encoder silently
            component = registry.component("encoder", config.encoder.type)
            raise ConfigError(
                f"encoder '{config.encoder.type}' ({component.impl}) does not declare {' and '.join(missing)}; "
                f"set {', '.join(f'self.{name}' for name in missing)} to True or False in its __init__ "
                "(docs/plugins.md, 'The encoder contract')")
        head_class = registry.component("head", config.head.type).load()
        # The head gets the built encoder, to check what it declares (direction, carried state).
        context = {"embedding": self.embedding, "registry": registry, "encoder": self.encoder,
                   **self.task.head_context(vocabs)}
        self.head = head_class(config.head, input_dim=self.encoder.out_dim, context=context)

    @property
    def device(self) -> torch.device:
        return self.embedding.weight.device

    def encode(self, tokens: Tensor, lengths: Tensor, state: Any = None, batch: dict | None = None) -> EncoderOutput:
        embedded = self.embedding(tokens)
        word_dropout = self.config.embedding.word_dropout
        if self.training and word_dropout:  # whole tokens, scaled like dropout so the expected input is unchanged
            keep = torch.rand(tokens.shape, device=tokens.device).ge(word_dropout).unsqueeze(-1)
            embedded = embedded * keep / (1 - word_dropout)
        if self.token_features is not None:
            embedded = torch.cat([embedded, self.token_features(batch)], dim=-1)
        return self.encoder(self.embedding_dropout(embedded), lengths, state)

    def forward(self, batch: dict, state: Any = None) -> tuple[Tensor, EncoderOutput]:
        encoded = self.encode(batch["tokens"], batch["lengths"], state, batch)
        return self.head(encoded, batch), encoded

    def mask(self, batch: dict) -> Tensor:
        return lengths_to_mask(batch["lengths"], batch["tokens"].size(1))

    # --- what users call; each task decides what it means -------------------------------

    def predict(self, inputs: list[str], batch_size: int | None = None, **options) -> list:
        """Predictions for a list of raw texts (labels, tags, translations...), one per input. ``batch_size``:
        texts run together (default 256); other options are the task's `zoo run` options (``run_options``)."""
        return [result["prediction"] for result in self.run(inputs, batch_size=batch_size, **options)]

    def predict_proba(self, inputs: list[str], batch_size: int | None = None) -> list[dict[str, float]]:
        """Per-label probabilities for each input (classification)."""
        if self.config.task != "classify":
            raise ZooError(f"predict_proba is for classifiers; this is a {self.config.task} model: use predict or run")
        return [result["probabilities"] for result in self.run(inputs, batch_size=batch_size)]

    def run(self, inputs: list[str], batch_size: int | None = None, **options) -> list[dict]:
        """The task's full results (the `zoo run --json` records). A single string is refused: pass ``[text]``."""
        texts = _texts(inputs)
        check_keywords("predict", options, sorted(self.task.run_options | {"batch_size"}))
        with self._inference(batch_size):
            return self.task.predict(self, texts, **options)

    def generate(self, prompt: str = "", **options) -> Iterator[str]:
        """Text after ``prompt``, one token at a time as it is generated (language models).

        Options as `zoo run`: ``max_tokens``, ``sampler``, ``temperature``, ``top_k``, ``top_p``, ``seed``.
        """
        if not self.task.abilities.generation:
            raise ZooError(f"a {self.config.task} model does not generate text; use predict() instead")
        if not isinstance(prompt, str):
            raise TypeError(f"generate() takes one prompt string, not {type(prompt).__name__}")
        check_keywords("generate", options, sorted(self.task.run_options))
        tokens = self.task.generate(self, prompt, **options)  # bad options raise here, before the first token

        def restoring() -> Iterator[str]:
            with self._inference(None):
                yield from (token.text for token in tokens)
        return restoring()

    @contextlib.contextmanager
    def _inference(self, batch_size: int | None):
        """Inference settings for one call, then the caller's back: train/eval mode and the batch size."""
        if batch_size is not None and (not isinstance(batch_size, int) or isinstance(batch_size, bool)
                                       or not 1 <= batch_size <= 1_000_000):
            raise ValueError(f"batch_size={batch_size!r}: give a whole number from 1 to 1000000")
        was_training, saved = self.training, self.task.inference_batch_size
        if batch_size is not None:
            self.task.inference_batch_size = batch_size
        try:
            yield
        finally:
            self.train(was_training)
            self.task.inference_batch_size = saved

    def evaluate(self, examples) -> dict:
        return self.task.evaluate(self, examples)

    def save(self, name_or_path, summary: dict | None = None):
        """Write the model to the store (a name, as ``zoo_core.load`` reads it) or to a .safetensors path."""
        return save_model(self, name_or_path, summary)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())



def _texts(inputs) -> list[str]:
    """The inputs of predict/run as a list of strings; one string is refused rather than read as its characters."""
    if isinstance(inputs, str):
        raise TypeError("predict() takes a list of texts, not one string (it would be read as its characters): "
                        f"pass [{inputs[:30]!r}{'...' if len(inputs) > 30 else ''}]")
    texts = list(inputs)
    wrong = next((item for item in texts if not isinstance(item, str)), None)
    if wrong is not None:
        raise TypeError(f"predict() takes texts (strings); got a {type(wrong).__name__}")
    return texts
