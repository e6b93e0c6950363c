"""Checks of one component on its own: encoders, poolers and samplers on tiny random inputs."""
from __future__ import annotations

import tempfile
from pathlib import Path

import torch
from torch import Tensor, nn

from zoo_core.modeling.interfaces import EncoderOutput, last_real_state, lengths_to_mask
from zoo_core.testing.common import INPUT_DIM, OUT_DIM_FIX, Target, component_config, registry

LENGTHS = torch.tensor([5, 2, 4, 1])  # a batch with padding in three rows
LOUD = 50.0  # padding values no real input would have, so a leak shows


def build(target: Target, seed: int = 0):
    torch.manual_seed(seed)
    config = component_config(target)
    cls = registry().component(target.kind, target.name).load()
    if target.kind == "sampler":
        return cls(config)
    return cls(config, input_dim=INPUT_DIM).eval()


def _inputs(seed: int = 1) -> Tensor:
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.randn(len(LENGTHS), int(LENGTHS.max()), INPUT_DIM, generator=generator)
    return inputs.masked_fill(~lengths_to_mask(LENGTHS, inputs.size(1)).unsqueeze(-1), LOUD)


def _encoded(seed: int = 1) -> EncoderOutput:
    """What an encoder would hand a pooler: states zero at padding, summary at the last real token.
    Real states are mostly negative so a max over unmasked zeros shows."""
    states = _inputs(seed) - 2.0
    states = states * lengths_to_mask(LENGTHS, states.size(1)).unsqueeze(-1)
    return EncoderOutput(states=states, summary=last_real_state(states, LENGTHS))


def run(target: Target, module, inputs: Tensor | EncoderOutput = None, lengths: Tensor = LENGTHS):
    """(per-position states or None, per-sequence vector) of an encoder or pooler."""
    if target.kind == "encoder":
        output = module(_inputs() if inputs is None else inputs, lengths)
        return output.states, output.summary
    encoded = _encoded() if inputs is None else inputs
    return None, module(encoded, lengths_to_mask(lengths, encoded.states.size(1)))


def _outputs(target: Target, module) -> list[Tensor]:
    return [t for t in run(target, module) if t is not None]


# --- encoders and poolers ------------------------------------------------------------------

def check_output_shapes(target: Target) -> None:
    """States (batch, time, out_dim) and one vector (batch, out_dim), where out_dim is declared."""
    check = "check_output_shapes"
    if target.kind == "sampler":
        return _check_sampler_steps(target)
    module = build(target)
    out_dim = getattr(module, "out_dim", None)
    if not isinstance(out_dim, int) or out_dim < 1:
        raise target.fail(check, f"out_dim is {out_dim!r}", "set self.out_dim (a positive int) in __init__")
    states, vector = run(target, module)
    batch, time = len(LENGTHS), int(LENGTHS.max())
    if states is not None and tuple(states.shape) != (batch, time, out_dim):
        raise target.fail(check, f"states have shape {tuple(states.shape)}, expected {(batch, time, out_dim)}",
                          OUT_DIM_FIX)
    if tuple(vector.shape) != (batch, out_dim):
        what, fix = (("summary", OUT_DIM_FIX) if target.kind == "encoder" else
                     ("pooled vector", "set self.out_dim in the pooler's __init__ to the size of the (batch, out_dim) "
                                       "vector it returns"))
        raise target.fail(check, f"the {what} has shape {tuple(vector.shape)}, expected {(batch, out_dim)}", fix)


def check_padding_invariance(target: Target) -> None:
    """A sequence gives the same result alone as padded in a batch; states are zero at padding."""
    check = "check_padding_invariance"
    module = build(target)
    fix = "zero or ignore every position at or beyond each sequence's length (zoo_core.modeling.interfaces.lengths_to_mask)"
    batch_states, batch_vector = run(target, module)
    full = _inputs() if target.kind == "encoder" else _encoded()
    for row, length in enumerate(LENGTHS.tolist()):
        if target.kind == "encoder":
            alone = full[row:row + 1, :length]
        else:
            alone = EncoderOutput(full.states[row:row + 1, :length], full.summary[row:row + 1])
        states, vector = run(target, module, alone, LENGTHS[row:row + 1])
        gap = (vector[0] - batch_vector[row]).abs().max().item()
        if gap > 1e-5:
            raise target.fail(check, f"padding changes a sequence's summary (max difference {gap:.3g})", fix)
        if states is not None:
            gap = (states[0] - batch_states[row, :length]).abs().max().item()
            if gap > 1e-5:
                raise target.fail(check, f"padding changes a sequence's states (max difference {gap:.3g})", fix)
            if bool(batch_states[row, length:].abs().gt(0).any()):
                raise target.fail(check, "states at padding positions are not zero",
                                  "multiply the states by the mask before returning them")


def check_gradients_reach_every_parameter(target: Target) -> None:
    """A loss on the outputs gives every parameter a non-zero, finite gradient."""
    module = build(target)
    if not any(parameter.requires_grad for parameter in module.parameters()):
        raise target.skip("it has no trainable parameters")
    outputs = _outputs(target, module)
    generator = torch.Generator().manual_seed(2)
    # Random weights: a plain sum can cancel (normalisation layers) and hide a reachable parameter.
    loss = sum((t * torch.randn(t.shape, generator=generator)).sum() for t in outputs)
    if not loss.requires_grad:
        raise target.fail("check_gradients_reach_every_parameter", "its outputs carry no gradient",
                          "do not compute the outputs under torch.no_grad() or from .detach()ed tensors")
    loss.backward()
    assert_gradients(target, module)


def assert_gradients(target: Target, module: nn.Module) -> None:
    check = "check_gradients_reach_every_parameter"
    for name, parameter in module.named_parameters():
        if not parameter.requires_grad:
            continue
        if parameter.grad is None:
            raise target.fail(check, f"parameter '{name}' gets no gradient",
                              "use it in forward, or remove it; .detach(), .data and torch.no_grad() cut the graph")
        if not bool(torch.isfinite(parameter.grad).all()):
            raise target.fail(check, f"parameter '{name}' gets a non-finite gradient",
                              "guard divisions and logarithms (e.g. by lengths clamped to at least 1)")
        if not bool(parameter.grad.ne(0).any()):
            raise target.fail(check, f"parameter '{name}' gets an all-zero gradient",
                              "make sure its output reaches the encoder's states or summary")


def check_save_load_round_trip(target: Target) -> None:
    """Weights saved with safetensors and loaded into a fresh instance give identical outputs."""
    from safetensors.torch import load_model, save_model

    check = "check_save_load_round_trip"
    original = build(target, seed=0)
    if not list(original.state_dict()):
        raise target.skip("it has no weights or buffers to save")
    fresh = build(target, seed=1)
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "weights.safetensors")
        save_model(original, path)
        try:
            load_model(fresh, path)
        except RuntimeError as error:
            raise target.fail(check, f"its weights do not load back ({str(error).splitlines()[0]})",
                              "register every weight in __init__ (as a parameter or persistent buffer) "
                              "with shapes that depend only on the config") from None
    for before, after in zip(_outputs(target, original), _outputs(target, fresh)):
        if not torch.equal(before, after):
            raise target.fail(check, "outputs differ after a save/load round trip",
                              "keep all state in parameters or persistent buffers, not plain attributes")


def check_same_seed_same_output(target: Target) -> None:
    """Two instances built after the same torch.manual_seed give identical outputs."""
    check = "check_same_seed_same_output"
    if target.kind == "sampler":
        return _check_sampler_seed(target)
    for first, second in zip(_outputs(target, build(target)), _outputs(target, build(target))):
        if not torch.equal(first, second):
            raise target.fail(check, "the same seed gives different outputs",
                              "draw all randomness from torch's global generator (no numpy/random, no time)")


# --- encoders only: the declared direction and carried state ----------------------------

FULL_LENGTH = 6  # the direction and state checks use unpadded rows: a language model's chunks
CHUNKS = (2, 1, 3)  # a one-token chunk is a generation step


def _full_inputs(seed: int = 1) -> Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(3, FULL_LENGTH, INPUT_DIM, generator=generator)


def _full_lengths(time: int) -> Tensor:
    return torch.full((3,), time, dtype=torch.long)


def declared(target: Target, module, name: str, check: str) -> bool:
    """The encoder's declaration ``name`` (bidirectional, carries_state), which it must make."""
    value = getattr(module, name, None)
    if not isinstance(value, bool):
        raise target.fail(check, f"it does not declare {name} (found {value!r})",
                          f"set self.{name} to True or False in __init__ (docs/plugins.md, 'The encoder contract')")
    return value


def check_direction_is_as_declared(target: Target) -> None:
    """bidirectional=False: the state at position t does not change when tokens after t do; True: it does."""
    check = "check_direction_is_as_declared"
    module = build(target)
    bidirectional = declared(target, module, "bidirectional", check)
    seen = 3  # positions 0, 1, 2 are compared; the tokens after them are replaced
    inputs = _full_inputs()
    changed = inputs.clone()
    changed[:, seen:] = _full_inputs(seed=7)[:, seen:]
    lengths = _full_lengths(FULL_LENGTH)
    with torch.no_grad():
        before = module(inputs, lengths).states[:, :seen]
        after = module(changed, lengths).states[:, :seen]
    gap = (before - after).abs().max().item()
    if not bidirectional and gap > 1e-5:
        raise target.fail(check, f"it declares bidirectional=False but its states at positions 0-{seen - 1} change "
                          f"when only the tokens after them change (max difference {gap:.3g})",
                          "declare bidirectional=True, or let position t read only tokens up to t "
                          "(pad convolutions on the left, run recurrences left to right)")
    if bidirectional and gap <= 1e-6:
        raise target.fail(check, f"it declares bidirectional=True but its states at positions 0-{seen - 1} do not "
                          "change when the tokens after them change",
                          "declare bidirectional=False (poolers such as ends split the states into two directions)")


def check_state_continues_the_sequence(target: Target) -> None:
    """carries_state=True: encoding a sequence in chunks, each given the state the one before returned,
    gives the same per-position states as encoding it whole (within 1e-5)."""
    check = "check_state_continues_the_sequence"
    module = build(target)
    if not declared(target, module, "carries_state", check):
        raise target.skip("it declares carries_state=False: no recurrent state to hand back")
    inputs = _full_inputs()
    with torch.no_grad():
        whole = module(inputs, _full_lengths(FULL_LENGTH)).states
        pieces, state, start = [], None, 0
        for size in CHUNKS:
            output = module(inputs[:, start:start + size], _full_lengths(size), state)
            if output.state is None:
                raise target.fail(check, f"it declares carries_state=True but returns state None after a chunk of "
                                  f"{size} unpadded tokens", "return the state after the last token as "
                                  "EncoderOutput.state (without it a language model forgets the text at every "
                                  "chunk and generated token)")
            try:
                state = module.detach_state(output.state)
            except Exception as error:  # whatever detach_state raises comes from the state's type
                raise target.fail(check, f"Encoder.detach_state fails on its state ({type(error).__name__}: {error})",
                                  "make the state a tensor or a tuple of tensors, or override detach_state") from None
            pieces.append(output.states)
            start += size
    chunked = torch.cat(pieces, dim=1)
    gap = (chunked - whole).abs().max().item() if chunked.shape == whole.shape else float("nan")
    if not gap <= 1e-5:
        sizes = ", ".join(map(str, CHUNKS))
        raise target.fail(check, f"encoding in chunks of {sizes} tokens, each given the state the one before "
                          f"returned, gives other states than encoding the sequence whole (max difference {gap:.3g})",
                          "start forward from its `state` argument when given one (None: from zeros) and "
                          "return the state after the last token")


# --- samplers ------------------------------------------------------------------------------

VOCAB, END, MAX_TOKENS = 7, 3, 6


def _step_table(end_bias: float = 0.0) -> Tensor:
    table = torch.randn(VOCAB, VOCAB, generator=torch.Generator().manual_seed(3))
    table[:, END] += end_bias
    return table


def _decode(target: Target, table: Tensor, seed: int = 0) -> list:
    sampler = build(target)

    def step(tokens, state):
        return table[tokens], state + 1

    generator = torch.Generator().manual_seed(seed)
    start = torch.zeros(2, dtype=torch.long)
    return list(sampler.decode(step, torch.zeros(2), start, END, MAX_TOKENS,
                               reorder=lambda state, index: state[index], generator=generator))


def _check_sampler_steps(target: Target) -> None:
    check = "check_output_shapes"
    steps = _decode(target, _step_table(end_bias=-1e4))  # END never chosen: runs to the limit
    if not 0 < len(steps) <= MAX_TOKENS:
        raise target.fail(check, f"it yielded {len(steps)} steps with max_tokens={MAX_TOKENS}",
                          "yield one SampledStep per generated token and stop at max_tokens")
    for step in steps:
        if tuple(step.tokens.shape) != (2,) or tuple(step.log_probs.shape) != (2,):
            raise target.fail(check, f"a step has tokens {tuple(step.tokens.shape)} and log_probs "
                              f"{tuple(step.log_probs.shape)} for 2 sequences", "yield (batch,) tensors")
        if bool((step.tokens < 0).any() or (step.tokens >= VOCAB).any()):
            raise target.fail(check, "it yielded token ids outside the vocabulary", "pick ids from the logits")


def check_stops_at_end_token(target: Target) -> None:
    """When every sequence's most likely token is the end token, decoding stops early."""
    steps = _decode(target, _step_table(end_bias=1e4))
    if len(steps) >= MAX_TOKENS:
        raise target.fail("check_stops_at_end_token", "it kept generating after every sequence ended",
                          "stop once every sequence has produced end_token")


def _check_sampler_seed(target: Target) -> None:
    table = _step_table()
    first = [s.tokens for s in _decode(target, table, seed=5)]
    second = [s.tokens for s in _decode(target, table, seed=5)]
    if len(first) != len(second) or not all(torch.equal(a, b) for a, b in zip(first, second)):
        raise target.fail("check_same_seed_same_output", "the same generator seed gives different tokens",
                          "draw random numbers only from the `generator` argument")


CHECKS = {
    "encoder": [check_output_shapes, check_padding_invariance, check_gradients_reach_every_parameter,
                check_save_load_round_trip, check_same_seed_same_output, check_direction_is_as_declared,
                check_state_continues_the_sequence],
    "pooler": [check_output_shapes, check_padding_invariance, check_gradients_reach_every_parameter,
               check_save_load_round_trip, check_same_seed_same_output],
    "sampler": [check_output_shapes, check_stops_at_end_token, check_same_seed_same_output],
}
