"""Contextual string embeddings (Akbik, Blythe & Vollgraf 2018, Flair's core idea) from the zoo's own
character language models.

Each word of a sentence gets the forward LM's state after its last character and the backward LM's
(``data.reverse=true``) state after reading, right to left, up to its first character; a tagger puts
them beside the word embedding. The LMs stay frozen and in eval mode (no dropout), so a sentence's vectors
never change: they are computed once per distinct sentence, batched, and kept in memory.

The LMs' embedding and encoder weights are copied into the model that uses them (under its
``token_features``), so its file is self-contained (DESIGN.md: one file per model) and loads without the
LM files; the source of each and its sha256 are recorded beside its characters (``CharLMVocab``).
"""
from __future__ import annotations

import hashlib
from typing import Sequence

import torch
from torch import Tensor, nn

from zoo_core.data.char_lm_vocab import CONTEXTUAL_PREFIX, CharLMVocab
from zoo_core.data.vocab import PAD_ID, Vocab
from zoo_core.errors import ConfigError, ZooError
from zoo_core.extension.registry import Registry, get_registry
from zoo_core.io.store import existing_model
from zoo_core.modeling.batching import pad
from zoo_core.modeling.loading import load_model

LINE_START = "\n"  # what precedes each sentence in a one-sentence-a-line LM corpus
LM_BATCH = 64  # sentences per LM call when filling the cache
CACHE_LIMIT = 200_000  # distinct sentences kept; beyond it the cache starts again (inference on long streams)


class CharLMStates(nn.Module):
    """A char LM's embedding and encoder (its head is not needed), rebuilt from its stored config."""

    def __init__(self, vocab: CharLMVocab, registry: Registry):
        super().__init__()
        config = registry.validate(vocab.config)
        self.chars, self.reverse = Vocab(vocab.tokens), vocab.reverse
        self.embedding = nn.Embedding(len(vocab), config.embedding.dim, padding_idx=PAD_ID)
        encoder_class = registry.component("encoder", config.encoder.type).load()
        self.encoder = encoder_class(config.encoder, input_dim=config.embedding.dim)
        self.out_dim = self.encoder.out_dim

    def char_ids(self, words: Sequence[str]) -> tuple[list[int], list[int]]:
        """The LM's input for one sentence (a line start, then the words joined by spaces, reversed for a
        backward LM) and, per word, the position whose state is its vector."""
        text = " ".join(words)
        starts, offset = [], 0
        for word in words:
            starts.append(offset)
            offset += len(word) + 1
        if self.reverse:  # right to left: the state after the word's first character
            sequence = LINE_START + text[::-1]
            positions = [len(LINE_START) + len(text) - 1 - start for start in starts]
        else:  # left to right: the state after the word's last character
            sequence = LINE_START + text
            positions = [len(LINE_START) + start + len(word) - 1 for start, word in zip(starts, words)]
        return self.chars.encode(sequence), [max(position, 0) for position in positions]

    def word_states(self, sentences: Sequence[Sequence[str]]) -> list[Tensor]:
        """(words, out_dim) per sentence: one batched LM call."""
        inputs = [self.char_ids(words) for words in sentences]
        tokens, lengths = pad([ids for ids, _ in inputs], self.embedding.weight.device)
        states = self.encoder(self.embedding(tokens), lengths).states
        return [states[row, positions] for row, (_, positions) in enumerate(inputs)]


class ContextualStringEmbeddings(nn.Module):
    """``sentences`` (one tuple of words a row) in, (batch, time, out_dim) out: every LM's word vectors,
    concatenated in config order; zero at padding. ``cache=False`` recomputes every call (same values)."""

    def __init__(self, vocabs: Sequence[CharLMVocab], registry: Registry | None = None, cache: bool = True):
        super().__init__()
        registry = registry or get_registry()
        self.lms = nn.ModuleList(CharLMStates(vocab, registry) for vocab in vocabs)
        self.out_dim = sum(lm.out_dim for lm in self.lms)
        self.use_cache = cache
        self.cache: dict[tuple[str, ...], Tensor] = {}
        for parameter in self.parameters():
            parameter.requires_grad_(False)
        super().train(False)

    def train(self, mode: bool = True):
        """Always eval: the LMs' dropout stays off, so a sentence's vectors are fixed and cacheable."""
        return super().train(False)

    def copy_from(self, models: Sequence[nn.Module]) -> None:
        """Take each saved LM's embedding and encoder weights (training; a loaded model has them in its file)."""
        if any(parameter.is_meta for parameter in self.parameters()):
            return  # a build on the meta device (the memory guard's estimate) has no weights to fill
        for states, model in zip(self.lms, models):
            states.embedding.load_state_dict(model.embedding.state_dict())
            states.encoder.load_state_dict(model.encoder.state_dict())

    @torch.no_grad()
    def sentence_vectors(self, sentences: Sequence[tuple[str, ...]]) -> dict[tuple[str, ...], Tensor]:
        """(words, out_dim) on the CPU for each distinct sentence, in batches of similar length."""
        distinct = sorted(set(sentences), key=lambda words: sum(len(word) + 1 for word in words))
        vectors = {}
        for start in range(0, len(distinct), LM_BATCH):
            chunk = distinct[start:start + LM_BATCH]
            per_lm = [lm.word_states(chunk) for lm in self.lms]
            for row, words in enumerate(chunk):
                vectors[words] = torch.cat([states[row] for states in per_lm], dim=-1).float().cpu()
        return vectors

    def forward(self, sentences: Sequence[Sequence[str]], time: int) -> Tensor:
        device = self.lms[0].embedding.weight.device
        wanted = [tuple(words[:time]) for words in sentences]
        if self.use_cache:
            if len(self.cache) > CACHE_LIMIT:
                self.cache.clear()
            missing = [words for words in wanted if words not in self.cache]
            if missing:
                self.cache.update(self.sentence_vectors(missing))
            found = self.cache
        else:
            found = self.sentence_vectors(wanted)
        out = torch.zeros(len(wanted), time, self.out_dim)
        for row, words in enumerate(wanted):
            if words:
                out[row, :len(words)] = found[words]
        return out.to(device)


def load_char_lms(references: Sequence[str]) -> tuple[dict[str, CharLMVocab], list[nn.Module]]:
    """The vocabularies (``contextual:0``, ``contextual:1``...) and loaded models of the char LMs named by
    ``embedding.contextual`` (store names or paths); a model that is no char LM is one clear line."""
    vocabs, models = {}, []
    for index, reference in enumerate(references):
        try:
            model = load_model(reference)
        except ZooError as error:  # most often: not trained yet
            raise ConfigError(f"embedding.contextual: {error}; train the char LMs first (docs/transfer.md: "
                              "zoo train char-lstm-lm ... --out fwd-lm, and --set data.reverse=true --out bwd-lm)") from None
        config = model.config
        if config.task != "lm" or config.tokenizer.type != "char":
            raise ConfigError(f"embedding.contextual: '{reference}' is a {config.tokenizer.type}-level {config.task} "
                              f"model ({config.architecture}); give character language models, e.g. trained "
                              "with `zoo train char-lstm-lm` (and --set data.reverse=true for the backward one)")
        path = existing_model(reference)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        vocabs[f"{CONTEXTUAL_PREFIX}{index}"] = CharLMVocab(model.vocabs["tokens"].tokens, config.to_dict(),
                                                          reference, digest)
        models.append(model)
    return vocabs, models
