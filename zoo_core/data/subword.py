"""Subword tokenizers (``tokenizer.type = bpe | unigram``): trained on the training split with Hugging Face
``tokenizers``, kept in the model file as that library's JSON, loaded back without the training data.

Both kinds use ``tokenizers`` (its BPE and its Unigram trainer, the unigram language model of
sentencepiece, Kudo 2018): one library, one JSON format the model file can hold as text. sentencepiece's
own trainer saves a protobuf, which would have to be stored as encoded bytes beside everything else.
Words are split on spaces and marked with "▁" (sentencepiece's Metaspace), so decoding is lossless.
Pure Python here; ``tokenizers`` is the optional extra ``subword``, imported only when used.
"""
from __future__ import annotations

import json
from typing import Iterable

from zoo_core.data.vocab import UNK, Vocab
from zoo_core.errors import ConfigError

SUBWORD_KINDS = ("bpe", "unigram")
WORD_START = "▁"


def is_subword(tokenizer_config) -> bool:
    return tokenizer_config.type in SUBWORD_KINDS


def _library():
    try:
        import tokenizers
    except ImportError:
        raise ConfigError("tokenizer.type bpe/unigram needs the Hugging Face tokenizers library; install the "
                          "extra: pip install 'zoo-core[subword]'") from None
    return tokenizers


class SubwordVocab(Vocab):
    """A vocabulary of subword pieces that also tokenizes and detokenizes text with its trained tokenizer.

    Ids are the zoo's (the task's specials first, then the tokenizer's pieces in its own order); pieces
    cross between the two as strings, so everything that takes a Vocab takes this one.
    """

    def __init__(self, tokens: Iterable[str], tokenizer_json: str, lowercase: bool):
        super().__init__(tokens)
        self.tokenizer_json = tokenizer_json
        self.lowercase = lowercase
        try:
            self._tokenizer = _library().Tokenizer.from_str(tokenizer_json)
        except Exception as error:  # the library raises a bare Exception for JSON it cannot read
            raise ValueError(f"subword tokenizer: {error}") from None

    @property
    def kind(self) -> str:
        return "unigram" if json.loads(self.tokenizer_json)["model"]["type"] == "Unigram" else "bpe"

    def tokenize(self, text: str) -> list[str]:
        return self._tokenizer.encode(text.lower() if self.lowercase else text).tokens

    def detokenize(self, pieces: Iterable[str]) -> str:
        """Text from pieces; special tokens (<s>, </s>, <pad>) are left out."""
        kept = [piece for piece in pieces if not (piece.startswith("<") and piece.endswith(">") and piece != UNK)]
        return self._tokenizer.decoder.decode(kept) if kept else ""

    @staticmethod
    def piece_text(piece: str) -> str:
        """A piece as it joins text generated so far (a word's first piece with its leading space)."""
        return piece.replace(WORD_START, " ")

    #: Where the model file keeps these vocabularies' tokenizers (data/stored_vocabs.py).
    metadata_key = "zoo.tokenizers"

    def to_metadata(self) -> dict:
        return {"json": self.tokenizer_json, "lowercase": self.lowercase}

    @classmethod
    def from_metadata(cls, tokens: list[str], stored: dict) -> "SubwordVocab":
        return cls(tokens, stored["json"], stored["lowercase"])


def train_subword_vocab(texts: Iterable[str], tokenizer_config, specials: tuple[str, ...]) -> SubwordVocab:
    """A tokenizer of ``tokenizer_config.type`` with ``tokenizer_config.vocab_size`` pieces (specials
    included), trained on ``texts``."""
    library = _library()
    models, trainers, pre_tokenizers, decoders = (library.models, library.trainers, library.pre_tokenizers,
                                                  library.decoders)
    kind, size, lowercase = tokenizer_config.type, tokenizer_config.vocab_size, tokenizer_config.lowercase
    specials = list(dict.fromkeys([*specials, UNK]))  # the trainer counts them in vocab_size
    if kind == "bpe":
        tokenizer = library.Tokenizer(models.BPE(unk_token=UNK))
        trainer = trainers.BpeTrainer(vocab_size=size, special_tokens=specials, show_progress=False,
                                      min_frequency=tokenizer_config.min_freq)
    elif kind == "unigram":
        tokenizer = library.Tokenizer(models.Unigram())
        trainer = trainers.UnigramTrainer(vocab_size=size, special_tokens=specials, unk_token=UNK, show_progress=False)
    else:
        raise ConfigError(f"tokenizer.type {kind}: subword kinds are {', '.join(SUBWORD_KINDS)}")
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
    tokenizer.decoder = decoders.Metaspace()
    tokenizer.train_from_iterator((text.lower() if lowercase else text for text in texts), trainer)
    pieces = sorted(tokenizer.get_vocab().items(), key=lambda item: item[1])
    tokens = [*specials, *(piece for piece, _ in pieces if piece not in specials)]  # the task's specials first
    return SubwordVocab(tokens, tokenizer.to_str(), lowercase)
