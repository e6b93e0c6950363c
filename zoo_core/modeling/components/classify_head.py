"""Classification head: a pooler over time, then a linear layer."""
from torch import Tensor, nn
from torch.nn import functional as F

from zoo_core.errors import ConfigError
from zoo_core.modeling.interfaces import EncoderOutput, Head, lengths_to_mask


class ClassifyHead(Head):
    def __init__(self, config, input_dim: int, context: dict):
        super().__init__(config, input_dim, context)
        registry = context["registry"]
        pooler_class = registry.component("pooler", config.pooling.type).load()
        encoder = context["encoder"]
        if getattr(config.pooling, "requires_bidirectional", False) and not encoder.bidirectional:
            raise ConfigError(f"head.pooling={config.pooling.type} needs a bidirectional encoder and encoder "
                              f"'{encoder.config.type}' reads one direction; {_bidirectional_advice(encoder, registry)}")
        self.pooler = pooler_class(config.pooling, input_dim=input_dim)
        layers: list[nn.Module] = [nn.Dropout(config.dropout)]
        size = self.pooler.out_dim
        if config.hidden_size:
            layers += [nn.Linear(size, config.hidden_size), nn.ReLU(), nn.Dropout(config.dropout)]
            size = config.hidden_size
        layers.append(nn.Linear(size, context["num_labels"]))
        self.output = nn.Sequential(*layers)

    def pool(self, encoded: EncoderOutput, batch: dict) -> Tensor:
        mask = lengths_to_mask(batch["lengths"], encoded.states.size(1))
        return self.pooler(encoded, mask)

    def forward(self, encoded: EncoderOutput, batch: dict) -> Tensor:
        return self.output(self.pool(encoded, batch))

    def loss(self, logits: Tensor, batch: dict) -> Tensor:
        return F.cross_entropy(logits, batch["labels"])


def _bidirectional_advice(encoder, registry) -> str:
    """How to make this encoder read both directions: its own setting if it has one, else the wrapper."""
    name = encoder.config.type
    if "bidirectional" in type(encoder.config).model_fields:
        return "add --set encoder.bidirectional=true, or pick another pooler (e.g. max)"
    if ("encoder", "bidirectional") in registry.components:
        return (f"wrap it in the bidirectional encoder (--set 'encoder={{\"type\": \"bidirectional\", "
                f"\"inner\": \"{name}\"}}'; its settings go in encoder.inner), or pick another pooler (e.g. max)")
    return ("pick another pooler (e.g. max), or wrap it in plugin zoo-bidirectional's bidirectional encoder "
            "(pip install zoo-bidirectional)")
