"""Which torch device a run uses (`training.device`); the rule lives with the model (modeling/devices.py)."""
from zoo_core.modeling.devices import select_device

__all__ = ["select_device"]
