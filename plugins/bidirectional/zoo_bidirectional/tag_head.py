"""Tagging head: per-token logits, then a softmax per token or a CRF over the whole sequence."""
from __future__ import annotations

from torch import Tensor, nn
from torch.nn import functional as F

from zoo_bidirectional.crf import CRF
from zoo_bidirectional.spans import allowed_transitions
from zoo_core.plugin import EncoderOutput, Head, lengths_to_mask

IGNORE = -100  # the tag id at padding (and, at evaluation, of tags the model never saw)


class TagHead(Head):
    def __init__(self, config, input_dim: int, context: dict):
        super().__init__(config, input_dim, context)
        layers: list[nn.Module] = [nn.Dropout(config.dropout)]
        size = input_dim
        if config.hidden_size:
            layers += [nn.Linear(size, config.hidden_size), nn.Tanh(), nn.Dropout(config.dropout)]
            size = config.hidden_size
        layers.append(nn.Linear(size, context["num_labels"]))
        self.output = nn.Sequential(*layers)
        allowed = allowed_transitions(context.get("labels", ()), context.get("scheme", "auto"))
        self.crf = CRF(context["num_labels"], allowed) if config.crf else None

    def forward(self, encoded: EncoderOutput, batch: dict) -> Tensor:
        return self.output(encoded.states)

    def loss(self, logits: Tensor, batch: dict) -> Tensor:
        """Mean per real token, for softmax and CRF alike."""
        tags = batch["tags"]
        if self.crf is None:
            return F.cross_entropy(logits.reshape(-1, logits.size(-1)), tags.reshape(-1), ignore_index=IGNORE)
        mask = lengths_to_mask(batch["lengths"], logits.size(1))
        return self.crf.nll(logits, tags, mask) / mask.sum().clamp(min=1)

    def decode(self, logits: Tensor, lengths: Tensor) -> list[list[int]]:
        """The predicted tag ids of each sequence, cut to its length."""
        if self.crf is not None:
            return self.crf.decode(logits, lengths)
        best = logits.argmax(-1).tolist()
        return [row[:n] for row, n in zip(best, lengths.tolist())]
