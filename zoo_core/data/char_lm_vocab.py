"""A character language model's vocabulary together with what rebuilds the LM's states inside another
model (contextual string embeddings, docs/transfer.md): its config, its direction, where it came from.
Pure Python: no torch."""
from __future__ import annotations

from typing import Iterable

from zoo_core.data.vocab import Vocab

CONTEXTUAL_PREFIX = "contextual:"  # vocabs["contextual:0"], ["contextual:1"]: one per LM, in config order


class CharLMVocab(Vocab):
    """The characters of a saved char LM, its whole config (to rebuild its embedding and encoder), whether
    it reads text backwards (``data.reverse``), and the file it was copied from with its sha256."""

    metadata_key = "zoo.char_lms"

    def __init__(self, tokens: Iterable[str], config: dict, source: str, sha256: str):
        super().__init__(tokens)
        self.config, self.source, self.sha256 = config, source, sha256

    @property
    def reverse(self) -> bool:
        return bool((self.config.get("data") or {}).get("reverse", False))

    def to_metadata(self) -> dict:
        return {"config": self.config, "source": self.source, "sha256": self.sha256}

    @classmethod
    def from_metadata(cls, tokens: list[str], stored: dict) -> "CharLMVocab":
        return cls(tokens, stored["config"], stored["source"], stored["sha256"])


def contextual_vocabs(vocabs: dict[str, Vocab]) -> list[CharLMVocab]:
    """The char LMs a model's contextual embeddings use, in config order."""
    found = [(name, vocab) for name, vocab in vocabs.items() if name.startswith(CONTEXTUAL_PREFIX)]
    return [vocab for _, vocab in sorted(found, key=lambda item: int(item[0][len(CONTEXTUAL_PREFIX):]))]
