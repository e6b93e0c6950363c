"""Translation with a trained seq2seq model: the sampler owns the decoding loop; the head gives it a
step function and a way to reorder its state (beam search), so every sampler works here."""
from __future__ import annotations

import random
import re
from typing import Optional

import torch

from zoo_core.plugin import BOS, PAD, UNK, ConfigError, DecodedSequence, SubwordVocab, ZooError, pad
from zoo_core.plugin import choose_sampler as core_choose_sampler
from zoo_seq2seq.data import BOS_ID, EOS_ID

DECODE_BATCH = 128


def require_seq2seq(model, what: str = "translation") -> None:
    if model.config.task != "seq2seq":
        raise ZooError(f"model of architecture '{model.config.architecture}' is a {model.config.task} model; "
                       f"{what} needs a seq2seq model (`zoo list --task seq2seq`)")


def choose_sampler(beam: Optional[int] = None, sampler: Optional[str] = None, **given):
    """(name, sampler) from `--beam N` (beam search of width N) or `--sampler NAME` and its options."""
    given = {key: value for key, value in given.items() if value is not None}
    if beam is not None:
        if beam < 1:
            raise ConfigError(f"--beam {beam}: the beam width must be at least 1 (1 is greedy search)")
        if sampler not in (None, "beam"):
            raise ConfigError(f"--beam chooses beam search; leave out --sampler {sampler} or --beam")
        sampler, given = "beam", {**given, "width": beam}
    name = sampler or "greedy"
    return name, core_choose_sampler(name, given, flags={"width": "--beam"})


def detokenize(tokens: list[str], kind: str, vocab=None) -> str:
    """Tokens back to text for BLEU and `zoo run`: words joined by spaces; hyphens, apostrophes, and
    full stops and commas after a word re-attached. Sacrebleu's 13a tokenizer splits punctuation
    again, so this changes no score; it reads as text, and sacrebleu no longer warns that the
    hypotheses look tokenized. ? ! : ; keep their space (French typography)."""
    if isinstance(vocab, SubwordVocab):  # the tokenizer's own decoder (lossless)
        return vocab.detokenize(tokens)
    if kind == "char":
        return "".join(tokens)
    text = re.sub(r"(\w) ([-'’]) (?=\w)", r"\1\2", " ".join(tokens))
    return re.sub(r"(?<=\w) ([.,])(?= |$)", r"\1", text)


def decode(model, sources: list[list[int]], sampler, max_tokens: Optional[int] = None,
           generator: Optional[torch.Generator] = None) -> list[DecodedSequence]:
    """One decoded target per source id list, in the given order (decoded in length-sorted batches)."""
    target = model.vocabs["target"]
    head = model.head
    device = model.device
    banned = torch.zeros(len(target), device=device)
    # A subword target never holds <unk> in training (every character of it is a piece), so it is never said.
    never = (PAD, BOS, UNK) if isinstance(target, SubwordVocab) else (PAD, BOS)
    banned[[target.id(token) for token in never]] = float("-inf")
    limit_cap = model.config.data.max_target_length

    def step(tokens, state):
        logits, state = head.step(tokens, state)
        return logits + banned, state

    model.eval()
    order = sorted(range(len(sources)), key=lambda i: len(sources[i]))
    results: list[Optional[DecodedSequence]] = [None] * len(sources)
    with torch.inference_mode():
        for start in range(0, len(order), DECODE_BATCH):
            indices = order[start:start + DECODE_BATCH]
            tokens, lengths = pad([sources[i] for i in indices], device)
            encoded = model.encode(tokens, lengths)
            state = head.start_state(encoded, lengths)
            begin = torch.full((len(indices),), BOS_ID, dtype=torch.long, device=device)
            limit = max_tokens or min(limit_cap, 2 * int(lengths.max()) + 10)
            decoded = sampler.decode_sequences(step, state, begin, EOS_ID, limit, head.reorder, generator)
            for index, sequence in zip(indices, decoded):
                results[index] = sequence
    return results  # type: ignore[return-value]


def attention_matrix(model, source: list[int], target_ids: list[int]) -> Optional[torch.Tensor]:
    """(target tokens + end token, source tokens) attention weights of one translation, or None
    when the model has no attention."""
    if model.config.head.attention == "none":
        return None
    target = model.vocabs["target"]
    device = model.device
    with torch.inference_mode():
        tokens = torch.tensor([source], device=device)
        lengths = torch.tensor([len(source)], device=device)
        encoded = model.encode(tokens, lengths)
        state = model.head.start_state(encoded, lengths)
        inputs = torch.tensor([[BOS_ID, *target_ids]], device=device)
        _, weights = model.head.run_steps(state, inputs)
    return weights[0].float().cpu()


class Translator:
    """Translates sentences with one sampler; bad options fail on creation, before any work."""

    def __init__(self, model, beam: Optional[int] = None, sampler: Optional[str] = None,
                 max_tokens: Optional[int] = None, seed: Optional[int] = None, **sampler_options):
        require_seq2seq(model)
        if max_tokens is not None and max_tokens < 1:
            raise ConfigError(f"--max-tokens {max_tokens}: give at least 1 token to generate")
        self.model = model
        self.sampler_name, self.sampler = choose_sampler(beam, sampler, **sampler_options)
        self.max_tokens = max_tokens
        self.seed = seed if seed is not None else random.SystemRandom().randrange(2**31)

    def translate(self, sentences: list[str], attention: bool = False) -> list[dict]:
        model, task = self.model, self.model.task
        sources = task.encode_sources(sentences, model.vocabs, warn_label="input sentence")
        generator = torch.Generator(device=model.device).manual_seed(self.seed)
        decoded = decode(model, sources, self.sampler, self.max_tokens, generator)
        target = model.vocabs["target"]
        results = []
        for sentence, source, sequence in zip(sentences, sources, decoded):
            tokens = target.decode(sequence.tokens)
            record = {"input": sentence, "prediction": detokenize(tokens, model.config.tokenizer.type, target),
                      "tokens": tokens, "log_prob": round(sequence.log_prob, 6), "sampler": self.sampler_name}
            if attention:
                weights = attention_matrix(model, source, sequence.tokens)
                record["source_tokens"] = model.vocabs["tokens"].decode(source)
                record["attention"] = None if weights is None else [[round(w, 5) for w in row] for row in weights.tolist()]
            results.append(record)
        return results


def translate(model, sentences: list[str], **options) -> list[str]:
    """Translations of ``sentences`` (options as `zoo run`: beam, sampler, max_tokens, seed...)."""
    return [record["prediction"] for record in Translator(model, **options).translate(list(sentences))]
