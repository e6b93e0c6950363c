"""An exported .onnx file run on ONNX Runtime behind the interface the tasks call on a ZooModel, so reading
text, batching, sampling, beam search and the output records are the zoo's own code on both paths.

    model = load_onnx("sentiment.onnx")      # or zoo_core.load("sentiment.onnx")
    model.predict(["a gripping film"])       # ['pos']
    model.run(["a gripping film"])           # the `zoo run --json` records

For other front-ends (zoo serve): an ``OnnxModel`` has ZooModel's ``predict``, ``predict_proba``, ``run``,
``generate`` and ``evaluate``, and its ``config``, ``vocabs``, ``task``, ``training_summary``; tensors in and
out are torch tensors on the CPU. ``model.session.run(graph, inputs, outputs)`` runs one graph by name.
What the file does not hold (an encoder's states for --explain, teacher-forced scoring of a seq2seq model)
is one line saying so (``NotExported``).
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import numpy as np
import torch
from safetensors.torch import load as safetensors_load
from torch import Tensor

from zoo_core._version import __version__
from zoo_core.data.stored_vocabs import vocabs_from_metadata
from zoo_core.errors import ArtifactError, ZooError
from zoo_core.export.graphs import GRAPHS_KEY, HEAD_KEY, flatten_state, unflatten_state
from zoo_core.extension.registry import get_registry
from zoo_core.io.artifacts import FORMAT_VERSION, REQUIRED_KEYS
from zoo_core.modeling.interfaces import EncoderOutput
from zoo_core.modeling.model import ZooModel
from zoo_core.modeling.saving import check_plugins


class NotExported(ZooError, AttributeError):
    """A part of the torch model that the ONNX file does not hold (``hasattr`` sees it as missing)."""


class GraphSession:
    """ONNX Runtime sessions over the file, one per graph; runs one graph on torch tensors.

    A one-graph file is one session. A many-graph file (seq2seq) is split into one session per graph: ONNX
    Runtime computes every node of a graph on each call, so a step inside the whole file would also run the
    encoder (measured: 290 against 107 us a step)."""

    def __init__(self, path: Path, threads: int):
        import onnxruntime

        self.path, self.options = path, onnxruntime.SessionOptions()
        self.options.intra_op_num_threads = threads
        self.options.inter_op_num_threads = 1
        self.options.log_severity_level = 3  # the many-graph file's defaulted inputs would warn on every load
        whole = self._session(str(path))
        self._metadata = dict(whole.get_modelmeta().custom_metadata_map)
        self.sessions: dict = {}
        try:
            names = list(json.loads(self._metadata.get(GRAPHS_KEY, "{}")))
        except json.JSONDecodeError:
            names = []
        graphs = [name for name in names if name != "state"]
        if len(graphs) > 1:
            self.sessions = {name: self._session(model) for name, model in split_graphs(path, graphs).items()}
        self.whole = whole
        self._accepted: dict[str, set] = {}

    def _session(self, source):
        import onnxruntime

        try:
            return onnxruntime.InferenceSession(source, self.options, providers=["CPUExecutionProvider"])
        except Exception as error:  # onnxruntime raises its own exception types for a foreign or broken file
            first = (str(error).strip().splitlines() or [type(error).__name__])[0][:160]
            raise ArtifactError(f"{self.path}: not a readable ONNX model ({first})") from None

    def metadata(self) -> dict:
        return dict(self._metadata)

    def run(self, graph: str, inputs: dict[str, Tensor], outputs: list[str]) -> list[Tensor]:
        session = self.sessions.get(graph, self.whole)
        accepted = self._accepted.get(graph)
        if accepted is None:  # the inputs this graph's session reads (the exporter drops unread ones)
            accepted = self._accepted[graph] = {i.name for i in session.get_inputs()}
        feeds = {f"{graph}.{name}": np.ascontiguousarray(tensor.detach().cpu().numpy())
                 for name, tensor in inputs.items() if f"{graph}.{name}" in accepted}
        return [torch.from_numpy(array) for array in session.run([f"{graph}.{o}" for o in outputs], feeds)]


def split_graphs(path: Path, names: list[str]) -> dict[str, bytes]:
    """Each graph of a many-graph file as its own serialized ONNX model (its tensors keep the GRAPH. prefix)."""
    import onnx
    from onnx import helper

    whole = onnx.load(str(path))
    graph = whole.graph
    defaults = {value.name for value in graph.input}
    models = {}
    for name in names:
        prefix = f"{name}."
        own = helper.make_graph(
            [node for node in graph.node if node.output and node.output[0].startswith(prefix)], name,
            [value for value in graph.input if value.name.startswith(prefix)],
            [value for value in graph.output if value.name.startswith(prefix)],
            [t for t in graph.initializer if t.name.startswith(prefix) and t.name not in defaults],
            value_info=[value for value in graph.value_info if value.name.startswith(prefix)])
        model = helper.make_model(own, opset_imports=whole.opset_import)
        model.ir_version = whole.ir_version
        models[name] = model.SerializeToString()
    return models


@dataclass
class GraphOutput(EncoderOutput):
    """What ``encode`` gives on ONNX Runtime: the state, and the logits (lm) or decoder start state (seq2seq)
    that the same graph call computed; the per-position states stay inside the graph."""

    logits: Optional[Tensor] = None
    start: Optional[dict] = None


class NotInFile:
    """Stands where the torch model has a module the ONNX graphs fused away (the encoder, the embedding)."""

    def __init__(self, what: str, path: Path):
        self._what, self._path = what, path

    def __getattr__(self, name: str):
        raise NotExported(f"{self._path}: the {self._what} is inside the ONNX graphs, so '{name}' is not available; "
                          "use the .safetensors model for it")


def load_onnx(path, threads: int = 1) -> "OnnxModel":
    """A model from an .onnx file written by `zoo export`; ``threads``: ONNX Runtime's intra-op threads."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        raise ZooError("running .onnx models needs onnxruntime; install it: pip install 'zoo-core[onnx]'") from None
    path = Path(path).expanduser()
    if not path.is_file():
        raise ArtifactError(f"no ONNX model file {path}; export one with `zoo export MODEL --format onnx --out {path}`")
    session = GraphSession(path, threads)
    metadata = session.metadata()
    missing = [key for key in (*REQUIRED_KEYS, GRAPHS_KEY) if key not in metadata]
    if missing:
        raise ArtifactError(f"{path}: an ONNX model, but not one exported by `zoo export` (no {missing[0]} metadata); "
                            "export the model with `zoo export MODEL --format onnx`")
    if metadata["zoo.format_version"] != FORMAT_VERSION:
        raise ArtifactError(f"{path}: model format version {metadata['zoo.format_version']} is not supported by "
                            f"zoo-core {__version__} (format {FORMAT_VERSION}); upgrade zoo-core")
    registry = get_registry()
    check_plugins(metadata, registry, path)
    try:
        config = registry.validate(json.loads(metadata["zoo.config"]))
        vocabs = vocabs_from_metadata(metadata)  # subword and char-LM vocabularies of their own kind
        graphs = json.loads(metadata[GRAPHS_KEY])
        summary = json.loads(metadata.get("zoo.training", "{}"))
    except ZooError as error:
        raise ArtifactError(f"{path}: stored config does not validate: {error}") from None
    except (json.JSONDecodeError, TypeError, ValueError) as error:
        raise ArtifactError(f"{path}: corrupt zoo metadata ({error})") from None
    return OnnxModel(path, session, metadata, config, vocabs, graphs, summary)


class OnnxModel:
    """A model on ONNX Runtime with the ZooModel interface its task calls (see the module docstring)."""

    device = torch.device("cpu")
    training = False  # never trains; ZooModel's methods below read and restore it

    def __init__(self, path: Path, session: GraphSession, metadata: dict, config, vocabs: dict, graphs: dict,
                 summary: dict):
        self.path, self.session, self.metadata = path, session, metadata
        self.config, self.vocabs, self.graphs, self.training_summary = config, vocabs, graphs, summary
        self.task = get_registry().task(config.task).load()(config)
        self.task.use_vocabs(vocabs)
        self.head = OnnxHead(self)
        self.encoder = NotInFile("encoder", path)
        self.embedding = NotInFile("embedding", path)

    # what ZooModel offers users, the same code (with its keyword checks and per-call settings)
    _inference = ZooModel._inference
    predict = ZooModel.predict
    predict_proba = ZooModel.predict_proba
    run = ZooModel.run
    generate = ZooModel.generate
    evaluate = ZooModel.evaluate
    mask = ZooModel.mask

    def eval(self) -> "OnnxModel":
        return self

    def float(self) -> "OnnxModel":
        return self

    def to(self, device) -> "OnnxModel":
        if str(device) != "auto" and torch.device(device).type != "cpu":  # auto: the CPU, ONNX Runtime's here
            raise ZooError(f"{self.path}: ONNX models run on the CPU here (onnxruntime's CPU provider); "
                           f"device {device} is not supported")
        return self

    def train(self, mode: bool = True) -> "OnnxModel":
        if mode:
            raise NotExported(f"{self.path}: an ONNX model cannot be trained; train the .safetensors model")
        return self

    def save(self, *args, **kwargs):
        raise NotExported(f"{self.path}: an ONNX model is saved already; save or export the .safetensors model")

    def __call__(self, batch: dict, state: Any = None):
        if "forward" in self.graphs:
            names = self.graphs["forward"]["inputs"]
            return self.session.run("forward", {name: batch[name] for name in names if name in batch}, ["logits"])[0], None
        if "state" in self.graphs and "layout" in self.graphs["state"]:  # lm: unpadded chunks, state carried
            encoded = self.encode(batch["tokens"], batch["lengths"], state)
            return encoded.logits, encoded
        raise NotExported(f"{self.path}: scoring whole target sequences (zoo eval) of a {self.config.task} model is "
                          "not in its ONNX export (the encoder and step graphs are); evaluate the .safetensors model")

    def encode(self, tokens: Tensor, lengths: Tensor, state: Any = None, batch: Optional[dict] = None) -> GraphOutput:
        graphs = self.graphs
        if "encoder" in graphs:  # seq2seq: the decoder's start state
            values = self.session.run("encoder", {"tokens": tokens, "lengths": lengths}, graphs["encoder"]["outputs"])
            return GraphOutput(None, None, None, start=dict(zip(graphs["encoder"]["outputs"], values)))
        if "step" in graphs:  # lm: logits and the next state of unpadded rows
            if not bool((lengths == tokens.size(1)).all()):
                raise NotExported(f"{self.path}: a language model's ONNX step reads unpadded rows only")
            layout = graphs["state"]
            parts = flatten_state(state) or [torch.zeros([tokens.size(0) if size is None else size for size in shape])
                                             for shape in layout["shapes"]]
            feeds = {"tokens": tokens, **dict(zip(layout["inputs"], parts))}
            logits, *parts = self.session.run("step", feeds, graphs["step"]["outputs"])
            return GraphOutput(None, None, unflatten_state(parts, layout["layout"]), logits=logits)
        raise NotExported(f"{self.path}: the encoder's per-position states are inside the ONNX forward graph "
                          "(--explain needs them); use the .safetensors model")


class OnnxHead:
    """The head's methods the tasks call, on the ONNX graphs: logits (lm), ``decode`` (tag, in torch with the
    head's weights from the file), ``start_state``, ``step``, ``reorder`` and ``run_steps`` (seq2seq, the last
    two the head class's own code)."""

    def __init__(self, model: OnnxModel):
        self._model = model
        self._torch_head = None

    def _head_class(self):
        return get_registry().component("head", self._model.config.head.type).load()

    def __call__(self, encoded: GraphOutput, batch: dict) -> Tensor:
        if getattr(encoded, "logits", None) is None:
            raise NotExported(f"{self._model.path}: this ONNX export has no separate head")
        return encoded.logits

    def decode(self, logits: Tensor, lengths: Tensor):
        return self._torch().decode(logits, lengths)

    def start_state(self, encoded: GraphOutput, lengths: Tensor) -> dict:
        return dict(encoded.start)

    def step(self, tokens: Tensor, state: dict) -> tuple[Tensor, dict]:
        graphs = self._model.graphs
        feeds = {"tokens": tokens, **{key: state[key] for key in graphs["state"]["keys"]}}
        logits, *values = self._model.session.run("step", feeds, graphs["step"]["outputs"])
        return logits, {**state, **dict(zip(graphs["state"]["changed"], values))}

    def reorder(self, state: dict, index: Tensor) -> dict:
        return self._head_class().reorder(state, index)

    def run_steps(self, state: dict, targets: Tensor, forcing: float = 1.0):
        return self._head_class().run_steps(self, state, targets, forcing)  # its loop, over this step

    def _torch(self):
        """The torch head rebuilt from the config with the weights the file carries, for decoding that stays in
        torch (a tagger's CRF Viterbi). Built on the meta device (nothing allocated), on the CPU when the head
        keeps a tensor outside its state dict."""
        if self._torch_head is None:
            model = self._model
            if HEAD_KEY not in model.metadata:
                raise NotExported(f"{model.path}: this ONNX export carries no head for decoding")
            weights = safetensors_load(base64.b64decode(model.metadata[HEAD_KEY]))
            with torch.device("meta"):
                head = ZooModel(model.config, model.vocabs, task=model.task).head
            head.load_state_dict(weights, assign=True)
            if any(t.is_meta for t in (*head.parameters(), *head.buffers())) or has_meta_attribute(head):
                head = ZooModel(model.config, model.vocabs, task=model.task).head
                head.load_state_dict(weights)
            self._torch_head = head.eval()
        return self._torch_head

    @property
    def pooler(self):
        # Not an AttributeError: `zoo run --explain` asks with getattr(head, "pooler", None) and must say why.
        raise ZooError(f"{self._model.path}: --explain needs the pooler's weights, which are inside the ONNX graph; "
                       "run the .safetensors model with --explain")

    def __getattr__(self, name: str):
        raise NotExported(f"{self._model.path}: the head's '{name}' is inside the ONNX graphs; use the .safetensors "
                          "model for it")


def has_meta_attribute(module: torch.nn.Module) -> bool:
    """Whether a module keeps a plain tensor attribute (not a parameter or buffer) left on the meta device."""
    return any(isinstance(value, Tensor) and value.is_meta for part in module.modules() for value in vars(part).values())
