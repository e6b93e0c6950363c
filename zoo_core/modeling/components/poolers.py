"""The `last` pooler: the encoder's summary (each sequence's own last real token)."""
from torch import Tensor

from zoo_core.modeling.interfaces import EncoderOutput, Pooler


class LastPooler(Pooler):
    def __init__(self, config, input_dim: int):
        super().__init__(config, input_dim)
        self.out_dim = input_dim

    def forward(self, encoded: EncoderOutput, mask: Tensor) -> Tensor:
        return encoded.summary
