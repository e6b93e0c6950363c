"""Which torch device a run uses (`training.device`: auto, cpu, cuda, cuda:N, mps)."""
import torch

from zoo_core.errors import ZooError


def select_device(name: str) -> torch.device:
    """auto: cuda, then mps, then cpu; a named device that is not there is an error."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ZooError(f"training.device={name}: CUDA is not available on this machine; use --device cpu or auto")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ZooError("training.device=mps: MPS is not available on this machine; use --device cpu or auto")
    return torch.device(name)
