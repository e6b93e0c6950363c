"""Vocabularies as a model file stores them: every one's tokens under ``zoo.vocabs``, and for the kinds that
carry more (a subword tokenizer, a character LM's settings) that part under the kind's own key.
Pure Python: no torch."""
from __future__ import annotations

import json

from zoo_core.data.char_lm_vocab import CharLMVocab
from zoo_core.data.subword import SubwordVocab
from zoo_core.data.vocab import Vocab

KINDS = (SubwordVocab, CharLMVocab)


def vocab_metadata(vocabs: dict[str, Vocab]) -> dict[str, str]:
    """Metadata entries for the vocabularies that carry more than tokens (none for plain ones)."""
    entries = {}
    for kind in KINDS:
        stored = {name: vocab.to_metadata() for name, vocab in vocabs.items() if isinstance(vocab, kind)}
        if stored:
            entries[kind.metadata_key] = json.dumps(stored)
    return entries


def vocabs_from_metadata(metadata: dict) -> dict[str, Vocab]:
    """The vocabularies of a model file's metadata, each of its kind."""
    extra = {name: (kind, stored) for kind in KINDS
             for name, stored in json.loads(metadata.get(kind.metadata_key, "{}")).items()}
    vocabs: dict[str, Vocab] = {}
    for name, tokens in json.loads(metadata["zoo.vocabs"]).items():
        kind, stored = extra.get(name, (None, None))
        vocabs[name] = Vocab(tokens) if kind is None else kind.from_metadata(tokens, stored)
    return vocabs
