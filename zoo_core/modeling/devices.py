"""Which torch device a model runs on (`training.device`, `zoo run/eval --device`, `load(device=)`):
auto, cpu, cuda, cuda:N, mps."""
import torch

from zoo_core.errors import ZooError


def select_device(name, setting: str = "training.device") -> torch.device:
    """auto: cuda, then mps, then cpu; a named device that is not there (or no device name) is one line
    naming ``setting``."""
    if isinstance(name, torch.device):
        name = str(name)
    if not isinstance(name, str):
        raise ZooError(f"{setting}={name!r}: give auto, cpu, cuda, cuda:N or mps")
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ZooError(f"{setting}={name}: CUDA is not available on this machine; use cpu or auto")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ZooError(f"{setting}=mps: MPS is not available on this machine; use cpu or auto")
    try:
        return torch.device(name)
    except (RuntimeError, ValueError):
        raise ZooError(f"{setting}={name}: not a device; give auto, cpu, cuda, cuda:N or mps") from None
