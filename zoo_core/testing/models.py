"""Checks of a whole architecture: a tiny ZooModel on the task's own example batch."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import torch
from torch import Tensor

from zoo_core.io.store import read_header
from zoo_core.modeling.loading import load_model
from zoo_core.modeling.model import ZooModel
from zoo_core.modeling.saving import save_model
from zoo_core.testing.common import OUT_DIM_FIX, Target, architecture_config, registry
from zoo_core.testing.modules import assert_gradients
from zoo_core.workflows import placeholder_vocabs

BATCH_SIZE = 4
VOCAB_SIZE = 20


def build(target: Target, seed: int = 0):
    config = architecture_config(target)
    torch.manual_seed(seed)
    return ZooModel(config, placeholder_vocabs(VOCAB_SIZE), registry())


def example_batch(target: Target, model) -> dict:
    try:
        return model.task.example_batch(model.vocabs, BATCH_SIZE, model.device)
    except NotImplementedError as error:
        raise target.fail("example_batch", str(error), "see docs/plugins.md, 'Tasks'") from None


def logits(model, batch: dict) -> Tensor:
    model.eval()
    with torch.no_grad():
        output, _ = model(batch)
    return output


def check_output_shapes(target: Target) -> None:
    """Encoder out_dim matches its outputs; logits have one row per example; the loss is a finite scalar."""
    check = "check_output_shapes"
    model = build(target)
    batch = example_batch(target, model)
    model.eval()
    with torch.no_grad():  # the encoder alone first: a head built for the declared out_dim fails on any other
        encoded = model.encode(batch["tokens"], batch["lengths"], None, batch)
    out_dim = model.encoder.out_dim
    if encoded.states.size(-1) != out_dim or encoded.summary.size(-1) != out_dim:
        raise target.fail(check, f"encoder out_dim is {out_dim} but it returns states of size "
                          f"{encoded.states.size(-1)} and a summary of size {encoded.summary.size(-1)}",
                          OUT_DIM_FIX)
    output = logits(model, batch)
    if output.size(0) != batch["tokens"].size(0):
        raise target.fail(check, f"logits have {output.size(0)} rows for a batch of {batch['tokens'].size(0)}",
                          "return logits with the batch as first dimension")
    model.train()
    loss, _ = model.task.train_step(model, batch, None)
    if loss.dim() != 0 or not bool(torch.isfinite(loss)):
        raise target.fail(check, f"the training loss is {loss!r}", "return a finite scalar from Head.loss")


def check_padding_invariance(target: Target) -> None:
    """Changing what sits in the padding (other token ids, extra columns) changes no real output."""
    check = "check_padding_invariance"
    model = build(target)
    batch = example_batch(target, model)
    tokens, lengths = batch["tokens"], batch["lengths"]
    if bool((lengths == tokens.size(1)).all()):
        raise target.fail(check, "its task's example_batch has no padded sequence",
                          "make TaskRunner.example_batch return sequences of different lengths")
    before = logits(model, batch)
    extra = 3
    generator = torch.Generator().manual_seed(4)
    noisy = torch.randint(2, VOCAB_SIZE, (tokens.size(0), tokens.size(1) + extra), generator=generator)
    mask = torch.arange(noisy.size(1)).unsqueeze(0) < lengths.unsqueeze(1)
    noisy = torch.where(mask, torch.nn.functional.pad(tokens, (0, extra)), noisy)
    after = logits(model, {**batch, "tokens": noisy})
    if before.dim() >= 3 and before.size(1) == tokens.size(1):  # per-token logits: compare real tokens
        real = mask[:, :tokens.size(1)]
        before, after = before[real], after[:, :tokens.size(1)][real]
    if before.shape != after.shape or not torch.allclose(before, after, atol=1e-5):
        gap = (before - after).abs().max().item() if before.shape == after.shape else float("nan")
        raise target.fail(check, f"token ids placed in the padding change the logits (max difference {gap:.3g})",
                          "zero or ignore every position at or beyond each sequence's length "
                          "(zoo_core.modeling.interfaces.lengths_to_mask) in the encoder and head")


def check_gradients_reach_every_parameter(target: Target) -> None:
    """One training step's loss gives every parameter a non-zero, finite gradient."""
    model = build(target)
    batch = example_batch(target, model)
    model.train()
    loss, _ = model.task.train_step(model, batch, None)
    loss.backward()
    assert_gradients(target, model)


def check_save_load_round_trip(target: Target) -> None:
    """A model saved to a .safetensors file and loaded back gives identical logits, and the file
    records every plugin the model uses."""
    check = "check_save_load_round_trip"
    model = build(target)
    batch = example_batch(target, model)
    before = logits(model, batch)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.safetensors"
        save_model(model, path, summary={})
        recorded = {entry["plugin"] for entry in json.loads(read_header(path)["__metadata__"]["zoo.plugins"])}
        loaded = load_model(str(path))
    needed = {registry().components[("encoder", model.config.encoder.type)].plugin,
              registry().components[("head", model.config.head.type)].plugin}
    if not needed <= recorded:
        raise target.fail(check, f"the file does not record plugin(s) {sorted(needed - recorded)}",
                          "save with zoo_core.modeling.saving.save_model")
    after = logits(loaded, batch)
    if not torch.equal(before, after):
        raise target.fail(check, "logits differ after a save/load round trip",
                          "keep all state in parameters or persistent buffers, built from the config alone")


def check_same_seed_same_output(target: Target) -> None:
    """Two models built after the same seed give identical logits."""
    first, second = build(target), build(target)
    batch = example_batch(target, first)
    if not torch.equal(logits(first, batch), logits(second, batch)):
        raise target.fail("check_same_seed_same_output", "the same seed gives different logits",
                          "draw all randomness from torch's global generator (no numpy/random, no time)")


def check_head_used_by_an_architecture(target: Target) -> None:
    """A head depends on its task's batches, so the kit tests it through an architecture using it."""
    reg = registry()
    if not any(reg.resolve(name).head.type == target.name for name in reg.list_models()):
        raise target.fail("check_head_used_by_an_architecture", "no registered architecture uses this head",
                          "register an architecture with it and run the kit on that architecture")


CHECKS = [check_output_shapes, check_padding_invariance, check_gradients_reach_every_parameter,
          check_save_load_round_trip, check_same_seed_same_output]
