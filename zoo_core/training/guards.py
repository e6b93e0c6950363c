"""Refusing, before anything is allocated, a model that cannot fit: its parameters, gradients, AdamW's two
moments and the best-weights copy, plus a rough activation size, estimated on torch's meta device (shapes
only, no memory) and compared with the memory available."""
from __future__ import annotations

import os
from typing import Optional

import torch

from zoo_core.errors import ConfigError

#: Copies of every parameter a run holds: weights, gradients, two AdamW moments, the best weights.
COPIES = 5
#: Refuse only when the estimate is this many times what is available: an estimate, not a measurement.
MARGIN = 2.0
NOMINAL_LENGTH = 64  # tokens a batch row is taken to have when the config does not say (classification)


def available_bytes(device: torch.device) -> Optional[int]:
    """Free memory on ``device`` (GPU: the driver's count; CPU: MemAvailable), or None if unknown."""
    if device.type == "cuda":
        return torch.cuda.mem_get_info(device)[0]
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def estimate_bytes(parameters: int, config) -> int:
    encoder = config.encoder
    width = getattr(encoder, "hidden_size", 0) * (2 if getattr(encoder, "bidirectional", False) else 1)
    layers = getattr(encoder, "num_layers", 1)
    length = getattr(config.data, "chunk_length", None) or NOMINAL_LENGTH
    # Per token and layer: the input, the 4 gates and the cell/hidden states kept for backpropagation.
    activations = config.training.batch_size * length * width * layers * 8
    return (parameters * COPIES + activations) * 4


def check_memory(build, config, device: torch.device) -> None:
    """``build()`` makes the model; here it runs on the meta device to count parameters without memory."""
    try:
        with torch.device("meta"):
            parameters = build().num_parameters()
    except Exception:  # noqa: BLE001 - a component that cannot be built on meta is simply not estimated
        return
    needed, free = estimate_bytes(parameters, config), available_bytes(device)
    if free is not None and needed > MARGIN * free:
        raise ConfigError(f"this config needs about {needed / 2**30:,.1f} GiB to train ({parameters:,} parameters "
                          f"x {COPIES} copies + activations) and {device.type} has {free / 2**30:,.1f} GiB free; "
                          "make it smaller (encoder.hidden_size, encoder.num_layers, embedding.dim, tokenizer.max_size, "
                          "training.batch_size)")
