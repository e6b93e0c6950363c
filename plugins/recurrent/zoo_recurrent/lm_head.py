"""Language-model head: next-token logits at every position, optionally tied to the embedding."""
from torch import Tensor, nn
from torch.nn import functional as F

from zoo_core.plugin import PAD_ID, ConfigError, EncoderOutput, Head


class LMHead(Head):
    def __init__(self, config, input_dim: int, context: dict):
        super().__init__(config, input_dim, context)
        _require_a_state_carrying_encoder(context["encoder"])
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


def _require_a_state_carrying_encoder(encoder) -> None:
    """A language model reads left to right and carries the state across chunks and generated tokens:
    an encoder that looks ahead would see the tokens it predicts, one that drops its state forgets the context."""
    name = encoder.config.type
    if encoder.bidirectional:
        raise ConfigError(f"encoder '{name}' is bidirectional and a language model reads left to right only; "
                          "pick a one-direction encoder (e.g. lstm with encoder.bidirectional=false)")
    if not encoder.carries_state:
        raise ConfigError(f"encoder '{name}' does not carry a recurrent state (carries_state=False) and a language "
                          "model carries it across chunks and generated tokens; pick one that does (rnn, lstm, gru)")
