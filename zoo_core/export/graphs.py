"""What an exported ONNX file holds besides the weights: its graphs' names, inputs and outputs, and how a
task's recurrent state is laid out, stored as JSON in the file's metadata (``zoo.onnx.graphs``).

One file can hold several graphs (seq2seq: ``encoder`` and ``step``); each graph's tensors are named
``GRAPH.NAME`` (``forward.tokens``, ``step.logits``) and every input of a many-graph file has an empty
default, so a session runs one graph at a time.
"""
from __future__ import annotations

from typing import Any

GRAPHS_KEY = "zoo.onnx.graphs"
HEAD_KEY = "zoo.onnx.head"  # base64 safetensors of the head's weights, for post-processing in torch (a CRF)
OPSET = 17


def flatten_state(state: Any) -> list:
    """A recurrent state (a tensor or a tuple of tensors, the encoder contract) as a list of tensors."""
    if state is None:
        return []
    return list(state) if isinstance(state, (tuple, list)) else [state]


def unflatten_state(parts: list, layout: str) -> Any:
    """The inverse of ``flatten_state`` for a state laid out as ``layout`` ("tensor" or "tuple")."""
    return tuple(parts) if layout == "tuple" else parts[0]


def state_layout(state: Any) -> str:
    return "tuple" if isinstance(state, (tuple, list)) else "tensor"
