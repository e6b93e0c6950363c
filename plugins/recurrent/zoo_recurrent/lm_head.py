"""Language-model head: next-token logits at every position, optionally tied to the embedding."""
from torch import Tensor, nn
from torch.nn import functional as F

from zoo_core.plugin import PAD_ID, EncoderOutput, Head


class LMHead(Head):
    def __init__(self, config, input_dim: int, context: dict):
        super().__init__(config, input_dim, context)
        embedding: nn.Embedding = context["embedding"]
        vocab_size, embedding_dim = embedding.weight.shape
        self.dropout = nn.Dropout(config.dropout)
        # Tying needs the output layer's input to have the embedding's size (Press & Wolf 2017).
        needs_projection = config.tie_weights and input_dim != embedding_dim
        self.projection = nn.Linear(input_dim, embedding_dim) if needs_projection else None
        self.output = nn.Linear(embedding_dim if config.tie_weights else input_dim, vocab_size)
        if config.tie_weights:
            self.output.weight = embedding.weight

    def forward(self, encoded: EncoderOutput, batch: dict) -> Tensor:
        return self.logits(encoded.states)

    def logits(self, states: Tensor) -> Tensor:
        """(batch, time, input_dim) states to (batch, time, vocab) logits."""
        states = self.dropout(states)
        if self.projection is not None:
            states = self.projection(states)
        return self.output(states)

    def loss(self, logits: Tensor, batch: dict) -> Tensor:
        """Mean cross-entropy (nats per token) over every position of the chunk."""
        return F.cross_entropy(logits.reshape(-1, logits.size(-1)), batch["targets"].reshape(-1), ignore_index=PAD_ID)
