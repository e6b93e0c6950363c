"""Mixed precision (`training.precision`): torch.autocast, plus a gradient scaler for fp16."""
from __future__ import annotations

import contextlib

import torch

from zoo_core.errors import ConfigError


def cpu_has_native_bf16() -> bool:
    """True on CPUs with avx512_bf16 or AMX, where bf16 matmuls run in hardware."""
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(torch.cpu, name, lambda: False)() for name in checks)


def check_precision(precision: str, device: torch.device) -> None:
    """Refuse, in one line, a precision this device cannot train in."""
    if precision == "fp32":
        return
    if device.type == "cpu":
        if precision == "fp16":
            raise ConfigError("training.precision=fp16: CPUs cannot train recurrent layers in float16 "
                              "(oneDNN has no fp16 LSTM); use --precision bf16 on CPU, or fp16 on a GPU")
        if not cpu_has_native_bf16():
            raise ConfigError("training.precision=bf16: this CPU has no native bfloat16 (avx512_bf16 or AMX), "
                              "so bf16 would be slower than fp32; use --precision fp32, or bf16 on a GPU")
    if device.type == "cuda" and precision == "bf16" and not torch.cuda.is_bf16_supported():
        raise ConfigError(f"training.precision=bf16: {torch.cuda.get_device_name(device)} has no bfloat16; "
                          "use --precision fp16")


def autocast(precision: str, device: torch.device):
    """The forward pass's context: autocast to the chosen dtype, or nothing for fp32."""
    if precision == "fp32":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(device_type=device.type, dtype=dtype)


def grad_scaler(precision: str, device: torch.device) -> torch.amp.GradScaler:
    """Scales fp16 losses so small gradients do not underflow; a no-op for fp32 and bf16."""
    return torch.amp.GradScaler(device.type, enabled=precision == "fp16")
