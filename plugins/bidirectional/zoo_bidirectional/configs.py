"""Configs of this plugin's components and of the tag task (light: no torch)."""
from typing import Any, Literal, Optional

from pydantic import Field

from zoo_core.plugin import ComponentField, StrictConfig


class BidirectionalConfig(StrictConfig):
    type: Literal["bidirectional"] = "bidirectional"
    inner: Any = ComponentField("encoder", {"type": "lstm", "hidden_size": 128},
                                "The unidirectional encoder run once in each direction: a name or {type: ...}.")


class TagHeadConfig(StrictConfig):
    type: Literal["tag"] = "tag"
    crf: bool = Field(False, description="Score whole tag sequences with a linear-chain CRF (Viterbi decoding).")
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="Dropout on the states before the output layer.")
    hidden_size: int = Field(0, ge=0, le=8192, description="Size of a hidden layer before the output; 0 for none.")


class CharFeaturesConfig(StrictConfig):
    dim: int = Field(30, ge=0, le=512, description="Character embedding size; 0 switches character features off.")
    filters: int = Field(50, ge=1, le=2048, description="Char-CNN filters: the size of each word's character vector.")
    kernel: int = Field(3, ge=1, le=9, description="Char-CNN window in characters.")
    max_word_length: int = Field(20, ge=2, le=200, description="Longer words keep their first and last halves.")


class TagDataConfig(StrictConfig):
    format: Literal["auto", "conll", "conllu"] = Field(
        "auto", description="conll (whitespace columns) or conllu (Universal Dependencies); auto: by file suffix.")
    token_column: Optional[int] = Field(
        None, description="0-based column of the words (negative: from the end); null: conll 0, conllu 1 (FORM).")
    tag_column: Optional[int] = Field(
        None, description="0-based column of the tags; null: conll the last, conllu 3 (UPOS; 4 is XPOS).")
    tag_scheme: Literal["auto", "iob1", "bio", "iobes"] = Field(
        "auto", description="The span tag scheme of the data; auto: detected from the training data (E-/S- tags: "
                            "iobes, an I- tag opening a chunk: iob1, else bio). Predictions and scores are given back in it.")
    train_scheme: Literal["auto", "iob1", "bio", "iobes"] = Field(
        "auto", description="The scheme the model learns span tags in; auto: iobes with a CRF head (Lample et al. "
                            "2016), else bio for iob1 data (so B- is learnt), else the data's own.")
    word_dropout: float = Field(0.0, ge=0.0, lt=1.0,
                                description="Training: replace words by <unk> with this probability (teaches <unk>).")
    chars: CharFeaturesConfig = Field(default_factory=CharFeaturesConfig,
                                      description="Character-level word features (char-CNN) for words the vocabulary lacks.")
