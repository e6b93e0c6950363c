"""Starting a model from another (`training.init`, `zoo train --init MODEL`), and which parts train.

Parameters are copied by role where shapes fit: the token embedding row by row for the tokens both
vocabularies share (ULMFiT's and Dai & Le's recipe: a language model's embedding and encoder into a
classifier), the char features likewise per shared character, the encoder tensor by tensor, and the head
only when it is the same kind of head over the same labels. Everything else keeps its fresh initialisation.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import get_args

import numpy as np
import torch
from torch import nn

from zoo_core.config.sections import ModelPart
from zoo_core.data.vectors import find_vectors
from zoo_core.errors import ConfigError, ZooError

#: The parts of a ZooModel a setting can name, from the input to the output (the config's ModelPart).
PARTS = get_args(ModelPart)
#: Tensors indexed by a vocabulary: their rows are copied per shared entry, not as a whole.
VOCAB_ROWS = {"embedding.weight": "tokens", "token_features.embedding.weight": "chars",
              "token_features.chars.embedding.weight": "chars"}  # the char-CNN beside contextual embeddings
#: Vocabularies only the input side reads: the head may differ in them and still be copied (not for lm).
INPUT_VOCABS = {"tokens", "chars"}
#: A tagger's copies of the char LMs of embedding.contextual: they come from those LMs, never from --init.
CONTEXTUAL_LMS = "token_features.contextual."


def part_of(name: str) -> str:
    """The part a parameter name belongs to (``embedding.weight`` -> ``embedding``)."""
    return name.split(".", 1)[0]


def parts_of(model: nn.Module) -> dict[str, nn.Module]:
    """The model's parts that exist (a model without char features has no ``token_features``)."""
    return {part: module for part in PARTS if isinstance(module := getattr(model, part, None), nn.Module)}


@dataclass
class TransferReport:
    """What ``initialize_from`` copied, for the one line `zoo train` prints."""

    source: str
    copied: dict[str, int] = field(default_factory=dict)  # part -> tensors copied
    fresh: dict[str, str] = field(default_factory=dict)  # part -> why it starts fresh
    shared_tokens: int = 0
    target_tokens: int = 0

    def line(self) -> str:
        copied = ", ".join(f"{part} ({count} tensors)" for part, count in self.copied.items()) or "nothing"
        fresh = "; new: " + ", ".join(f"{part} ({why})" for part, why in self.fresh.items()) if self.fresh else ""
        share = self.shared_tokens / max(self.target_tokens, 1)
        return (f"init from {self.source}: copied {copied}{fresh}; vocabulary overlap {self.shared_tokens:,} of "
                f"{self.target_tokens:,} tokens ({share:.0%})")


@torch.no_grad()
def initialize_from(model: nn.Module, source: nn.Module, source_name: str) -> TransferReport:
    """Copy ``source``'s parameters into ``model`` by role where they fit; an error when nothing fits."""
    report = TransferReport(source_name, target_tokens=len(model.vocabs["tokens"]))
    report.shared_tokens = sum(1 for token in model.vocabs["tokens"].tokens if token in source.vocabs["tokens"].index)
    theirs = source.state_dict()
    head_refusal = _head_refusal(model, source)
    ours = model.state_dict()

    def their(name: str) -> str:
        """The source's name for ``name``: a tagger's char-CNN sits under token_features.chars beside
        contextual embeddings, right under token_features without them."""
        for mine, other in (("token_features.chars.", "token_features."), ("token_features.", "token_features.chars.")):
            if name not in theirs and name.startswith(mine) and other + name[len(mine):] in theirs:
                return other + name[len(mine):]
        return name

    def fits(name: str) -> bool:
        mine = ours[name]
        return their(name) in theirs and theirs[their(name)].shape[1:] == mine.shape[1:] and (
            name in VOCAB_ROWS or theirs[their(name)].shape == mine.shape)

    # A head is copied whole or not at all: half a classifier's layers are no start.
    if not head_refusal and not all(fits(name) for name in ours if part_of(name) == "head"):
        head_refusal = "shapes differ"
    for name, tensor in ours.items():
        part = part_of(name)
        if name.startswith(CONTEXTUAL_LMS):
            continue
        if part == "head" and head_refusal:
            report.fresh["head"] = head_refusal
            continue
        if not fits(name):
            report.fresh.setdefault(part, "shapes differ")
            continue
        if name in VOCAB_ROWS:
            _copy_rows(tensor, theirs[their(name)], model.vocabs[VOCAB_ROWS[name]], source.vocabs[VOCAB_ROWS[name]])
        else:
            tensor.copy_(theirs[their(name)])
        report.copied[part] = report.copied.get(part, 0) + 1
    for part in report.copied:  # a part with some tensors copied is not "new"
        if report.fresh.get(part) == "shapes differ":
            report.fresh[part] = "some tensors: shapes differ"
    if not report.copied:
        raise ZooError(f"--init {source_name}: nothing fits this {model.config.architecture} model (no tensor of "
                       f"the {source.config.architecture} model has a matching name and shape); start from a model "
                       "with the same encoder type and sizes, or train without --init")
    return report


def _copy_rows(target: torch.Tensor, source: torch.Tensor, target_vocab, source_vocab) -> None:
    rows = [(i, source_vocab.index[token]) for i, token in enumerate(target_vocab.tokens) if token in source_vocab.index]
    if rows:
        into, out_of = zip(*rows)
        target[list(into)] = source[list(out_of)].to(device=target.device, dtype=target.dtype)


def _head_refusal(model, source) -> str:
    """Why the head cannot be copied, or "" when it can: same kind of head over the same outputs."""
    if type(model.head) is not type(source.head) or model.config.head.type != source.config.head.type:
        return f"a {model.config.head.type} head, the source has {source.config.head.type}"
    output_vocabs = {name for name in model.vocabs if name not in INPUT_VOCABS and not name.startswith("contextual:")}
    output_vocabs |= {"tokens"} if model.config.task == "lm" else set()
    for name in sorted(output_vocabs):
        if name not in source.vocabs or source.vocabs[name].tokens != model.vocabs[name].tokens:
            return "labels differ" if name == "labels" else f"the {name} vocabulary differs"
    return ""


def parameter_groups(model: nn.Module, lr: float, multipliers: dict[str, float]) -> list[dict]:
    """AdamW parameter groups, one per part, each at ``lr`` times the part's multiplier (discriminative
    fine-tuning, ULMFiT); every parameter is in a group, frozen ones too, so unfreezing needs no new optimizer."""
    groups, seen = [], set()
    for part, module in parts_of(model).items():
        params = [p for p in module.parameters() if id(p) not in seen]
        seen.update(id(p) for p in params)
        if params:
            groups.append({"params": params, "lr": lr * multipliers.get(part, 1.0), "part": part})
    rest = [p for p in model.parameters() if id(p) not in seen]
    if rest:
        groups.append({"params": rest, "lr": lr, "part": "other"})
    return groups


def set_frozen(model: nn.Module, frozen: set[str]) -> None:
    """Frozen parts get no gradients, so AdamW leaves them bitwise unchanged (weight decay included)."""
    for part, module in parts_of(model).items():
        for parameter in module.parameters():
            parameter.requires_grad_(part not in frozen)


def frozen_at(epoch: int, freeze: list[str], unfreeze_every: int | None) -> set[str]:
    """The parts frozen in ``epoch`` (1-based): ``freeze``, less one part every ``unfreeze_every`` epochs,
    the one nearest the output first (gradual unfreezing, Howard & Ruder 2018)."""
    frozen = [part for part in reversed(PARTS) if part in freeze]  # nearest the output first
    if unfreeze_every:
        frozen = frozen[(epoch - 1) // unfreeze_every:]
    return set(frozen)


@torch.no_grad()
def load_pretrained_vectors(model: nn.Module, path: str) -> str:
    """Set the embedding rows of the vocabulary's tokens that ``path`` holds; the line `zoo train` prints."""
    vocab, weight = model.vocabs["tokens"], model.embedding.weight
    found = find_vectors(path, vocab.tokens)
    if found.dim != weight.size(1):
        raise ConfigError(f"embedding.pretrained: {path} has {found.dim}-dimensional vectors and embedding.dim is "
                          f"{weight.size(1)}; add --set embedding.dim={found.dim}")
    found.rows.pop(0, None)  # <pad> stays zero
    if found.rows:
        ids = sorted(found.rows)
        weight[ids] = torch.from_numpy(np.stack([found.rows[i] for i in ids])).to(weight.device, weight.dtype)
    words = len(vocab) - 2  # <pad> and <unk> are not words
    share = len(found.rows) / max(words, 1)
    lowered = f", {found.lowercase_matches:,} of them by another case" if found.lowercase_matches else ""
    return (f"embedding.pretrained: vectors for {len(found.rows):,} of {words:,} vocabulary words ({share:.0%})"
            f"{lowered}, from {found.file_words:,} in {path}; the others start at random")
