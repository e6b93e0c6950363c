"""Text generation for language models: the prompt is read in one recurrent call, then each new
token costs one step with the recurrent state carried (never a re-run of the prefix)."""
from __future__ import annotations

import contextlib
import random
import warnings
from dataclasses import dataclass
from typing import Any, Iterator, Optional

import torch

from zoo_core.plugin import BOS, PAD, UNK, ConfigError, SubwordVocab, choose_sampler

DEFAULT_MAX_TOKENS = 200
MAX_TOKENS_LIMIT = 100_000
SAMPLER_OPTIONS = ("temperature", "top_k", "top_p")


@dataclass
class GeneratedToken:
    text: str  # as it joins the text so far (word models: with its leading space)
    token_id: int
    log_prob: float  # the model's own log-probability of this token (natural log)


def pick_sampler(name: Optional[str], **given: Any):
    """(name, sampler) from `--sampler NAME` and its options; with no name, the options pick it."""
    given = {key: value for key, value in given.items() if value is not None}
    if name is None:
        name = "top-p" if "top_p" in given else "top-k" if "top_k" in given else "temperature"
    return name, choose_sampler(name, given, hints={"temperature": "; 0 means greedy"})


def bounded_max_tokens(max_tokens: Optional[int]) -> int:
    if max_tokens is None:
        return DEFAULT_MAX_TOKENS
    if max_tokens < 1:
        raise ConfigError(f"--max-tokens {max_tokens}: give at least 1 token to generate")
    if max_tokens > MAX_TOKENS_LIMIT:
        warnings.warn(f"--max-tokens {max_tokens:,} is above the limit of {MAX_TOKENS_LIMIT:,}; "
                      f"generating {MAX_TOKENS_LIMIT:,} tokens", stacklevel=3)
        return MAX_TOKENS_LIMIT
    return max_tokens


@contextlib.contextmanager
def without_onednn():
    """One generated token's work (the recurrent step and the sampling) without oneDNN, whose per-call cost
    dominates single-token steps (3.4x faster without it at batch 1, docs/lm.md); the caller's setting is back
    before the token is handed over."""
    onednn = torch.backends.mkldnn.enabled
    torch.backends.mkldnn.enabled = False
    try:
        yield
    finally:
        torch.backends.mkldnn.enabled = onednn


@contextlib.contextmanager
def one_thread():
    """torch on one thread while a generation runs (restored when it ends or is closed): a batch-1 step is too
    small to split, and switching threads back and forth between tokens costs more than the step on a busy CPU
    (measured: 1,114 tokens/s switching per token against 2,029 on one thread, docs/benchmarks.md)."""
    threads = torch.get_num_threads()
    if threads != 1:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if threads != 1:
            torch.set_num_threads(threads)


class Generation:
    """One prompt's generation, checked and primed on creation; iterate to get the tokens as they come."""

    def __init__(self, model, prompt: str, max_tokens: Optional[int] = None, sampler: Optional[str] = None,
                 temperature: Optional[float] = None, top_k: Optional[int] = None, top_p: Optional[float] = None,
                 seed: Optional[int] = None):
        self.model = model
        self.max_tokens = bounded_max_tokens(max_tokens)
        self.sampler_name, self.sampler = pick_sampler(sampler, temperature=temperature, top_k=top_k, top_p=top_p)
        self.seed = seed if seed is not None else random.SystemRandom().randrange(2**31)
        self.prompt = prompt
        vocab = model.vocabs["tokens"]
        tokens = model.task.tokens(prompt)
        unknown = sorted({token for token in tokens if token not in vocab})
        if unknown:
            shown = ", ".join(repr(token) for token in unknown[:10]) + (", ..." if len(unknown) > 10 else "")
            warnings.warn(f"the prompt has {len(unknown)} token(s) the model's vocabulary lacks ({shown}); "
                          "they are read as <unk>", stacklevel=3)
        # Every document starts with the start token in training, so an empty prompt is fine.
        self.prefix = [vocab.id(BOS), *vocab.encode(tokens)]
        self.word_level = model.config.tokenizer.type == "word"
        banned = torch.zeros(len(vocab))
        banned[[vocab.id(token) for token in (PAD, UNK, BOS) if token in vocab]] = float("-inf")
        self.banned = banned.to(model.device)
        # Encoders and heads with a single-step path skip the masks that padded batches need.
        self.fast = hasattr(model.encoder, "step") and hasattr(model.head, "logits")

    def _step(self, tokens: torch.Tensor, state: Any):
        with torch.inference_mode():
            model = self.model
            if self.fast:
                states, state = model.encoder.step(model.embedding(tokens.view(-1, 1)), state)
                logits = model.head.logits(states)
            else:  # any other encoder or head: the general path
                encoded = model.encode(tokens.view(-1, 1), self._one, state)
                logits, state = model.head(encoded, {}), encoded.state
        return logits[:, -1] + self.banned, state

    def __iter__(self) -> Iterator[GeneratedToken]:
        model, vocab = self.model, self.model.vocabs["tokens"]
        model.eval()
        device = model.device
        self._one = torch.ones(1, dtype=torch.long, device=device)
        state = None
        with one_thread():  # the prompt too: a parallel call before the steps leaves threads spinning on the cores
            with torch.inference_mode():
                if len(self.prefix) > 1:  # the whole prompt in one recurrent call
                    context = torch.tensor([self.prefix[:-1]], device=device)
                    state = model.encode(context, torch.tensor([context.size(1)], device=device)).state
            generator = torch.Generator(device=device).manual_seed(self.seed)
            start = torch.tensor([self.prefix[-1]], device=device)
            steps = iter(self.sampler.decode(self._step, state, start, None, self.max_tokens, generator=generator))
            yield from self._tokens(steps, vocab)

    def _tokens(self, steps, vocab) -> Iterator[GeneratedToken]:
        for index in range(self.max_tokens):
            with without_onednn():
                sampled = next(steps, None)  # the step and the sampling
            if sampled is None:
                return
            token_id = int(sampled.tokens[0])
            text = vocab.tokens[token_id]
            if isinstance(vocab, SubwordVocab):  # "▁" starts a word
                text = vocab.piece_text(text)
                text = text if index or self.prompt.strip() else text.lstrip(" ")
            elif self.word_level and (index or self.prompt.strip()):
                text = " " + text
            yield GeneratedToken(text, token_id, float(sampled.log_probs[0]))
