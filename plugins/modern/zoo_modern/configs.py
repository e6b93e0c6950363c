"""Configs of the modern recurrent encoders (light: imported when listing, so no torch)."""
import importlib.util
from typing import Literal

from pydantic import Field, model_validator

from zoo_core.plugin import StrictConfig

ScanMode = Literal["auto", "sequential", "chunked", "scan"]


class ModernConfig(StrictConfig):
    hidden_size: int = Field(256, ge=1, le=8192, description="Units of each layer's state and output.")
    num_layers: int = Field(1, ge=1, le=16, description="Stacked layers; each reads the one below.")
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="Dropout between layers and on the output.")


class ScanConfig(ModernConfig):
    mode: ScanMode = Field("auto", description="How the element-wise recurrence runs over time: sequential (one "
                           "fused step a token), chunked (doubling scan inside chunks), scan (log-space parallel "
                           "scan); auto picks by length and device (docs/modern.md).")


class FusedScanConfig(ScanConfig):
    mode: Literal["auto", "fused", "sequential", "chunked", "scan"] = Field(
        "auto", description="How the gates and the recurrence run over time: fused (one compiled loop for both, "
        "CPU, needs numba: zoo-modern[fast]), sequential (one fused torch step a token), chunked (doubling scan "
        "inside chunks), scan (log-space parallel scan); auto takes fused on CPU when numba is installed, else "
        "sequential, and scan on an accelerator (docs/modern.md).")

    @model_validator(mode="after")
    def _fused_needs_numba(self):
        if self.mode == "fused" and importlib.util.find_spec("numba") is None:
            raise ValueError("mode 'fused' needs numba: pip install 'zoo-modern[fast]', or leave mode at auto")
        return self


class MinGRUConfig(FusedScanConfig):
    type: Literal["mingru"] = "mingru"


class MinLSTMConfig(FusedScanConfig):
    type: Literal["minlstm"] = "minlstm"


class QRNNConfig(FusedScanConfig):
    type: Literal["qrnn"] = "qrnn"
    window: int = Field(2, ge=1, le=16, description="Tokens each gate's causal convolution reads: this one and "
                        "window - 1 before it.")


class LRUConfig(ScanConfig):
    type: Literal["lru"] = "lru"
    state_size: int = Field(256, ge=1, le=8192, description="Complex state units per layer (the diagonal's size).")
    r_min: float = Field(0.4, ge=0.0, lt=1.0, description="Smallest eigenvalue modulus at initialisation (ring init).")
    r_max: float = Field(0.99, gt=0.0, lt=1.0, description="Largest eigenvalue modulus at initialisation.")


class SRUConfig(ModernConfig):
    type: Literal["sru"] = "sru"


class IndRNNConfig(ModernConfig):
    type: Literal["indrnn"] = "indrnn"


class MLSTMConfig(ModernConfig):
    type: Literal["mlstm"] = "mlstm"
    heads: int = Field(4, ge=1, le=64, description="Heads; hidden_size is split among them (each a matrix memory).")
    chunk_size: int = Field(64, ge=1, le=4096, description="Tokens per chunk of the parallel (training) form; "
                            "the matrix state is carried from chunk to chunk.")

    @model_validator(mode="after")
    def _heads_divide_the_size(self):
        if self.hidden_size % self.heads:
            raise ValueError(f"hidden_size {self.hidden_size} is not a multiple of heads {self.heads}; "
                             "give a hidden_size that heads divides")
        return self


class SLSTMConfig(ModernConfig):
    type: Literal["slstm"] = "slstm"


class RWKVConfig(ModernConfig):
    type: Literal["rwkv"] = "rwkv"
    ffn_size: int = Field(0, ge=0, le=32768, description="Channel-mix width; 0 for 4 x hidden_size.")
    chunk_size: int = Field(16, ge=1, le=1024, description="Tokens per chunk of the log-space WKV; the state "
                            "(numerator, denominator, exponent) is carried from chunk to chunk.")
