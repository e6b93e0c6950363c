"""`zoo export --format onnx`: a task's graphs traced with ``torch.onnx.export(..., dynamo=False)`` (the
TorchScript exporter), each checked against torch on a padded batch of other sizes, merged into one .onnx file
whose metadata_props carry the zoo metadata of the model file (config, vocabularies, plugins, version).

What each task exports (its "export path"; the graphs are described in ``graphs.py``):
classify, tag: ``forward`` (token ids, lengths[, a tagger's chars] -> logits; a tagger's decoding, softmax or the
CRF's Viterbi, stays in torch on the runner side, with the head's weights carried in the file);
lm: ``step`` (tokens, state -> logits, state: the prompt in one call, then one token a call);
seq2seq: ``encoder`` (source ids, lengths -> the decoder's start state) and ``step`` (tokens, state -> logits,
state), so greedy decoding, sampling and beam search run in the zoo's own samplers.
"""
from __future__ import annotations

import base64
import inspect
import json
import sys
import tempfile
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import torch
from safetensors.torch import save as safetensors_bytes
from torch import Tensor, nn

from zoo_core._version import __version__
from zoo_core.errors import ZooError
from zoo_core.export.graphs import GRAPHS_KEY, HEAD_KEY, OPSET, flatten_state, state_layout, unflatten_state
from zoo_core.extension.registry import get_registry
from zoo_core.modeling.saving import components_used

#: Largest difference from torch accepted on the check batch; more means the tracer froze a Python branch or
#: size (the parity tests hold the result to 1e-5).
TOLERANCE = 1e-4
#: (batch, time) of the traced example, then of the check batch: every size differs, so the dynamic axes
#: can be told apart and a frozen size shows.
SIZES = ((3, 7), (5, 4))
LENGTHS = {3: [7, 4, 2], 5: [4, 1, 3, 4, 2]}  # mixed lengths: padded rows in both batches


class ExportError(ZooError):
    """A model that cannot be exported (no export path, or a graph that does not match torch)."""


@dataclass
class Graph:
    """One graph to trace: a module over positional tensors, its input and output names, the example it
    is traced on (first) and the check batches, each with torch's expected outputs (None: the module's own)."""

    name: str
    module: nn.Module
    inputs: list[str]
    outputs: list[str]
    examples: list[tuple]
    sizes: list[tuple[int, int]]
    expected: list[Optional[tuple]] = field(default_factory=list)


def require_onnx() -> None:
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        raise ZooError("ONNX export needs onnx and onnxruntime; install them: pip install 'zoo-core[onnx]'") from None


def export_onnx(model, metadata: dict, out: Path, name: str) -> dict:
    """Write ``model`` (a loaded ZooModel) to ``out`` with the file metadata ``metadata``; return a description
    of the graphs. ``name`` is how the user referred to the model (for messages)."""
    require_onnx()
    from zoo_core.io.store import atomic_target

    task = model.config.task
    if task not in EXPORT_PATHS:
        raise ExportError(f"model '{name}' is a {task} model (architecture {model.config.architecture}) and task "
                          f"'{task}' has no ONNX export path; tasks with one: {', '.join(sorted(EXPORT_PATHS))}")
    model = model.float().cpu().eval()
    with torch.no_grad():
        graphs, description = EXPORT_PATHS[task](model)
    with tempfile.TemporaryDirectory() as folder:
        protos = {graph.name: trace(graph, model, Path(folder), name) for graph in graphs}
    for graph_name, proto in protos.items():  # the exporter drops inputs a graph never reads
        description[graph_name]["inputs"] = [value.name for value in proto.graph.input]
    props = {**metadata, GRAPHS_KEY: json.dumps(description)}
    if task == "tag":  # the head decodes in torch (softmax argmax or CRF Viterbi): carry its weights
        props[HEAD_KEY] = base64.b64encode(safetensors_bytes(
            {k: v.contiguous() for k, v in model.head.state_dict().items()})).decode("ascii")
    merged = merge(protos, props)
    import onnx

    with atomic_target(out) as temporary:
        onnx.save(merged, temporary)
    return description


# --- the export paths -------------------------------------------------------------------------------------

def random_ids(batch: int, time: int, vocab_size: int, low: int, generator) -> tuple[Tensor, Tensor]:
    """Padded ids (zero after each row's length) and the lengths, for a (batch, time) check batch."""
    lengths = torch.tensor(LENGTHS[batch], dtype=torch.long)
    ids = torch.randint(low, max(vocab_size, low + 1), (batch, time), generator=generator)
    return ids * (torch.arange(time).unsqueeze(0) < lengths.unsqueeze(1)), lengths


class Forward(nn.Module):
    """A classifier's or tagger's forward over positional tensors: ids, lengths[, chars] -> logits."""

    def __init__(self, model, names: list[str]):
        super().__init__()
        self.model, self.names = model, names

    def forward(self, *tensors: Tensor) -> Tensor:
        return self.model(dict(zip(self.names, tensors)))[0]


def forward_graphs(model) -> tuple[list[Graph], dict]:
    generator = torch.Generator().manual_seed(0)
    uses_chars = "chars" in model.task.example_batch(model.vocabs, 2, "cpu")  # a tagger's char-CNN
    names = ["tokens", "lengths", *(["chars"] if uses_chars else [])]
    examples = []
    for batch, time in SIZES:
        ids, lengths = random_ids(batch, time, len(model.vocabs["tokens"]), 2, generator)
        example = [ids, lengths]
        if uses_chars:
            width = batch  # 3, then 5: the word axis varies too
            chars = torch.randint(2, max(len(model.vocabs["chars"]), 3), (batch, time, width), generator=generator)
            example.append(chars * (ids != 0).unsqueeze(-1))
        examples.append(tuple(example))
    graph = Graph("forward", Forward(model, names), names, ["logits"], examples, list(SIZES))
    return [graph], {"forward": {"inputs": names, "outputs": ["logits"]}}


class LanguageModelStep(nn.Module):
    """tokens (batch, time), state parts -> logits (batch, time, vocab), next state parts; rows are unpadded
    (a prompt, then one token a step), as generation calls it."""

    def __init__(self, model, layout: str):
        super().__init__()
        self.model, self.layout = model, layout

    def forward(self, tokens: Tensor, *state: Tensor):
        lengths = (tokens >= 0).sum(1)  # every row full, and traced as a tensor (not a frozen size)
        encoded = self.model.encode(tokens, lengths, unflatten_state(list(state), self.layout) if state else None)
        return (self.model.head(encoded, {}), *flatten_state(encoded.state))


def lm_graphs(model) -> tuple[list[Graph], dict]:
    generator = torch.Generator().manual_seed(0)
    vocab_size = len(model.vocabs["tokens"])
    states = []
    for batch, time in SIZES:  # a state from reading some text first, so the graph is traced with one
        ids = torch.randint(2, vocab_size, (batch, time), generator=generator)
        states.append(model.encode(ids, torch.full((batch,), time)).state)
    if states[0] is None:
        raise ExportError(f"encoder '{model.config.encoder.type}' returned no state; a language model's step "
                          "graph needs one")
    layout = state_layout(states[0])
    parts = [flatten_state(state) for state in states]
    names = [f"state{i}" for i in range(len(parts[0]))]
    outputs = ["logits", *(f"next_{n}" for n in names)]
    module = LanguageModelStep(model, layout)
    tokens = [torch.randint(2, vocab_size, (batch, time), generator=generator) for batch, time in SIZES]
    examples = [(tokens[0], *parts[0]), (tokens[1], *parts[1]), (tokens[1], *[torch.zeros_like(p) for p in parts[1]])]
    # The runner starts a text with zeros, where torch starts from None: the third check holds them equal.
    expected = [None, None, tuple(module(tokens[1]))]
    graph = Graph("step", module, ["tokens", *names], outputs, examples, [SIZES[0], SIZES[1], SIZES[1]], expected)
    batch_dims = [[i for i, (a, b) in enumerate(zip(p0.shape, p1.shape)) if a != b] for p0, p1 in zip(*parts)]
    shapes = [[None if i in dims else size for i, size in enumerate(p.shape)] for p, dims in zip(parts[0], batch_dims)]
    return [graph], {"step": {"inputs": graph.inputs, "outputs": outputs},
                     "state": {"layout": layout, "inputs": names, "outputs": outputs[1:], "shapes": shapes}}


class Seq2SeqEncoder(nn.Module):
    """source ids, lengths -> the decoder's start state, one tensor per key."""

    def __init__(self, model, keys: list[str]):
        super().__init__()
        self.model, self.keys = model, keys

    def forward(self, tokens: Tensor, lengths: Tensor):
        state = self.model.head.start_state(self.model.encode(tokens, lengths), lengths)
        return tuple(state[key] for key in self.keys)


class Seq2SeqStep(nn.Module):
    """tokens (batch,), state tensors -> logits (batch, vocab), the state tensors the step changes."""

    def __init__(self, model, keys: list[str], changed: list[str]):
        super().__init__()
        self.model, self.keys, self.changed = model, keys, changed

    def forward(self, tokens: Tensor, *values: Tensor):
        logits, state = self.model.head.step(tokens, dict(zip(self.keys, values)))
        return (logits, *(state[key] for key in self.changed))


def seq2seq_graphs(model) -> tuple[list[Graph], dict]:
    generator = torch.Generator().manual_seed(0)
    sources = [random_ids(batch, time, len(model.vocabs["tokens"]), 2, generator) for batch, time in SIZES]
    encoder = Seq2SeqEncoder(model, [])
    starts = [model.head.start_state(model.encode(ids, lengths), lengths) for ids, lengths in sources]
    keys = list(starts[0])
    encoder.keys = keys
    targets = [torch.randint(4, max(len(model.vocabs["target"]), 5), (batch,), generator=generator) for batch, _ in SIZES]
    _, after = model.head.step(targets[0], dict(starts[0]))
    # Only what a step changes leaves the step graph (hidden, cell, attention...); the memory stays put.
    changed = [key for key in after if key not in starts[0] or after[key] is not starts[0][key]]
    step = Seq2SeqStep(model, keys, changed)
    encoder_graph = Graph("encoder", encoder, ["tokens", "lengths"], keys, sources, list(SIZES))
    step_graph = Graph("step", step, ["tokens", *keys], ["logits", *(f"next_{k}" for k in changed)],
                       [(tokens, *(start[k] for k in keys)) for tokens, start in zip(targets, starts)], list(SIZES))
    return [encoder_graph, step_graph], {
        "encoder": {"inputs": encoder_graph.inputs, "outputs": keys},
        "step": {"inputs": step_graph.inputs, "outputs": step_graph.outputs},
        "state": {"keys": keys, "changed": changed}}


EXPORT_PATHS: dict[str, Callable] = {"classify": forward_graphs, "tag": forward_graphs, "lm": lm_graphs,
                                     "seq2seq": seq2seq_graphs}


# --- tracing, checking, merging --------------------------------------------------------------------------

def dynamic_axes(graph: Graph, results: list[tuple]) -> dict[str, dict[int, str]]:
    """Each input's and output's axes whose size differs between the traced example and the check batch,
    named ``batch`` or ``time`` when they follow those sizes."""
    (batch_a, time_a), (batch_b, time_b) = graph.sizes[:2]
    tensors = list(zip(graph.inputs + graph.outputs, [*graph.examples[0], *results[0]], [*graph.examples[1], *results[1]]))
    axes = {}
    for name, first, second in tensors:
        dims = {}
        for dim, (a, b) in enumerate(zip(first.shape, second.shape)):
            if a != b:
                dims[dim] = "batch" if (a, b) == (batch_a, batch_b) else "time" if (a, b) == (time_a, time_b) \
                    else f"{name}_{dim}"
        if dims:
            axes[name] = dims
    return axes


def trace(graph: Graph, model, folder: Path, name: str):
    """The graph as an ONNX model, traced on the first example and checked on the others."""
    import onnx

    path = folder / f"{graph.name}.onnx"
    module = graph.module.eval()
    caught: list = []
    try:
        with torch.no_grad():
            results = [as_tuple(module(*example)) for example in graph.examples]
        with warnings.catch_warnings(record=True) as caught:  # kept to name the code the check finds frozen
            warnings.simplefilter("always")
            torch.onnx.export(module, graph.examples[0], str(path), dynamo=False, opset_version=OPSET,
                              input_names=graph.inputs, output_names=graph.outputs,
                              dynamic_axes=dynamic_axes(graph, results), do_constant_folding=True)
    except ZooError:
        raise
    except Exception as error:  # the exporter's own errors name an operator; say which component it was in
        first = (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
        raise ExportError(f"model '{name}': {blame(model, error, caught)} has no ONNX export path ({graph.name} "
                          f"graph: {first})") from None
    model.eval()  # torch.onnx.export restores the wrapper's mode; keep the model in eval whatever it was
    difference = check(graph, path, results)
    if difference > TOLERANCE:
        raise ExportError(
            f"model '{name}': the exported {graph.name} graph differs from torch by {difference:.2g} on a batch of "
            f"other sizes, so {blame(model, None, caught)} has no ONNX export path (the tracer froze a Python "
            "branch or size there); run it as .safetensors")
    return onnx.load(str(path))


def as_tuple(result) -> tuple:
    return tuple(result) if isinstance(result, (tuple, list)) else (result,)


def check(graph: Graph, path: Path, results: list[tuple]) -> float:
    """The largest difference between ONNX Runtime and torch over the check batches (inf on a shape change)."""
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    # The exporter drops inputs the graph never reads (a step that ignores the memory): feed only the others.
    wanted = {i.name for i in session.get_inputs()}
    worst = 0.0
    for index, example in enumerate(graph.examples[1:], 1):
        expected = graph.expected[index] if index < len(graph.expected) and graph.expected[index] else results[index]
        feeds = {n: t.numpy() for n, t in zip(graph.inputs, example) if n in wanted}
        for got, want in zip(session.run(graph.outputs, feeds), expected):
            got = torch.from_numpy(got)
            if got.shape != want.shape:
                return float("inf")
            worst = max(worst, float((got.double() - want.double()).abs().max()) if got.numel() else 0.0)
    return worst


def blame(model, error: Optional[BaseException], caught: list) -> str:
    """The component an export failed in: the deepest frame of the error, or the first tracer warning (a
    tensor turned into a Python value), in a component's source file; without one, every component."""
    used = components_used(model.config)
    labels = [f"{kind} '{name}'" for kind, name in used]
    files = {}
    registry = get_registry()
    for (kind, name), label in zip(used, labels):
        module = sys.modules.get(registry.components[(kind, name)].impl.partition(":")[0])
        if module is not None and getattr(module, "__file__", None):
            files[module.__file__] = label
    for part, kind in ((model.encoder, "encoder"), (model.head, "head")):  # the classes the model holds
        files.setdefault(inspect.getsourcefile(type(part)), f"{kind} '{getattr(model.config, kind).type}'")
    if error is not None:
        for frame, line in reversed(list(traceback.walk_tb(error.__traceback__))):
            if frame.f_code.co_filename in files:
                return f"{files[frame.f_code.co_filename]} ({Path(frame.f_code.co_filename).name}:{line})"
    for warning in caught:
        if warning.filename in files:
            said = str(warning.message).strip().splitlines()[0][:80]
            return f"{files[warning.filename]} ({Path(warning.filename).name}:{warning.lineno}: {said})"
    return "one of " + ", ".join(labels)


def merge(protos: dict, props: dict):
    """One ONNX model holding every graph, its tensors named GRAPH.NAME. With several graphs every input gets a
    small default (size 1, ids 1) so a plain ONNX Runtime session can run one graph without feeding the others
    (it still computes all of them; the zoo's runner splits the file into one session per graph)."""
    import numpy as np
    from onnx import compose, helper, numpy_helper

    nodes, inputs, outputs, initializers, value_info, opsets = [], [], [], [], [], {}
    for graph_name, proto in protos.items():
        prefixed = compose.add_prefix(proto, f"{graph_name}.")
        graph = prefixed.graph
        nodes += graph.node
        inputs += graph.input
        outputs += graph.output
        initializers += graph.initializer
        value_info += graph.value_info
        opsets.update({opset.domain: opset.version for opset in prefixed.opset_import})
    if len(protos) > 1:
        for value in inputs:
            tensor = value.type.tensor_type
            shape = [dim.dim_value if dim.HasField("dim_value") else 1 for dim in tensor.shape.dim]
            dtype = helper.tensor_dtype_to_np_dtype(tensor.elem_type)
            fill = np.zeros if np.issubdtype(dtype, np.floating) else np.ones  # empty tensors crash a GRU
            initializers.append(numpy_helper.from_array(fill(shape, dtype=dtype), value.name))
    graph = helper.make_graph(nodes, "rnn-zoo", inputs, outputs, initializers, value_info=value_info)
    merged = helper.make_model(graph, opset_imports=[helper.make_opsetid(d, v) for d, v in opsets.items()],
                               producer_name="rnn-zoo", producer_version=__version__)
    merged.ir_version = next(iter(protos.values())).ir_version
    helper.set_model_props(merged, {key: str(value) for key, value in props.items()})
    return merged


def export_file(source: Path, out: Path, name: str, force: bool = False) -> dict:
    """Export model file ``source`` to the .onnx file ``out`` (refused when it exists, unless ``force``)."""
    from zoo_core.io.artifacts import read_metadata
    from zoo_core.modeling.loading import load_model

    if out.suffix != ".onnx":
        raise ZooError(f"--out {out}: an ONNX file's name ends in .onnx (so `zoo run` knows it); e.g. --out {out}.onnx")
    if out.exists() and not (force and out.is_file()):
        raise ZooError(f"--out {out}: exists already; pick another --out{' or add --force' if out.is_file() else ''}")
    require_onnx()
    return export_onnx(load_model(str(source)), read_metadata(source), out, name)
