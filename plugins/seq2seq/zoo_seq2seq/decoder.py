"""The attention decoder head: a GRU or LSTM decoder over the encoder's states.

Attention (all masked to the real source tokens):
- additive (Bahdanau et al. 2015): the previous decoder state queries v·tanh(W·query + U·keys);
  the context joins the next input and the output layer.
- dot / general (Luong et al. 2015): the new decoder state queries q·keys (general: keys = W·states);
  tanh(W_c [context; state]) is the attentional vector the output layer reads, optionally fed to the
  next step (input feeding).
- none: the encoder summary is the decoder's start and joins every input (Cho et al. 2014).

The decoding state is a dict of batch-first tensors, so a sampler reorders it row-wise (beams).
Teacher-forced training runs the whole target in one recurrent call where no step depends on the
previous attention (none, Luong without input feeding); otherwise one fused cell call per step.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from zoo_core.plugin import PAD_ID, ConfigError, EncoderOutput, Head, lengths_to_mask


class AttentionDecoder(Head):
    def __init__(self, config, input_dim: int, context: dict):
        super().__init__(config, input_dim, context)
        hidden, embed, attention = config.hidden_size, config.embedding_dim, config.attention
        self.luong = attention in ("dot", "general")
        if config.input_feeding and not self.luong:
            raise ConfigError(f"head.input_feeding: applies to dot or general attention, not '{attention}'; "
                              "set head.input_feeding=false")
        if attention == "dot" and input_dim != hidden:
            raise ConfigError(f"head.attention=dot needs head.hidden_size ({hidden}) equal to the encoder's output "
                              f"size ({input_dim}); use attention=general or change the sizes")
        self.vocab_size = context["target_vocab_size"]
        self.embedding = nn.Embedding(self.vocab_size, embed, padding_idx=PAD_ID)
        self.dropout = nn.Dropout(config.dropout)
        self.bridge = nn.Linear(input_dim, hidden)
        if attention == "additive":
            self.key_projection = nn.Linear(input_dim, config.attention_dim, bias=False)
            self.query_projection = nn.Linear(hidden, config.attention_dim)
            self.energy = nn.Linear(config.attention_dim, 1, bias=False)
            rnn_input, output_input = embed + input_dim, hidden + input_dim
        elif self.luong:
            if attention == "general":
                self.key_projection = nn.Linear(input_dim, hidden, bias=False)
            self.combine = nn.Linear(input_dim + hidden, hidden, bias=False)
            rnn_input, output_input = embed + (hidden if config.input_feeding else 0), hidden
        else:
            rnn_input, output_input = embed + input_dim, hidden
        self.rnn = (nn.GRU if config.cell == "gru" else nn.LSTM)(rnn_input, hidden, batch_first=True)
        self.output = nn.Linear(output_input, self.vocab_size)

    # --- state ------------------------------------------------------------------------------
    def start_state(self, encoded: EncoderOutput, lengths: Tensor) -> dict:
        """The decoding state before the first target token (every tensor batch-first)."""
        states = encoded.states
        hidden = torch.tanh(self.bridge(encoded.summary))
        state = {"hidden": hidden, "memory": states, "mask": lengths_to_mask(lengths, states.size(1))}
        if self.config.cell == "lstm":
            state["cell"] = torch.zeros_like(hidden)
        if self.config.attention == "none":
            state["summary"] = encoded.summary
        else:
            state["keys"] = self.key_projection(states) if hasattr(self, "key_projection") else states
        if self.config.input_feeding:
            state["feed"] = torch.zeros_like(hidden)
        return state

    @staticmethod
    def reorder(state: dict, index: Tensor) -> dict:
        return {name: value.index_select(0, index) for name, value in state.items()}

    def _cell(self, inputs: Tensor, state: dict) -> dict:
        rnn = self.rnn
        weights = (rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, rnn.bias_hh_l0)
        if self.config.cell == "gru":
            return {**state, "hidden": torch.gru_cell(inputs, state["hidden"], *weights)}
        hidden, cell = torch.lstm_cell(inputs, (state["hidden"], state["cell"]), *weights)
        return {**state, "hidden": hidden, "cell": cell}

    def _scores(self, query: Tensor, keys: Tensor) -> Tensor:
        """(batch, steps, query_dim) against (batch, time, key_dim): (batch, steps, time) energies."""
        if self.config.attention == "additive":
            mixed = torch.tanh(keys.unsqueeze(1) + self.query_projection(query).unsqueeze(2))
            return self.energy(mixed).squeeze(-1)
        return torch.bmm(query, keys.transpose(1, 2))

    def _attend(self, query: Tensor, state: dict) -> tuple[Tensor, Tensor]:
        """Context (batch, steps, dim) and weights (batch, steps, time) for queries (batch, steps, dim)."""
        scores = self._scores(query, state["keys"]).masked_fill(~state["mask"].unsqueeze(1), float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        return torch.bmm(weights, state["memory"]), weights

    # --- one step (decoding, and training with a teacher-forcing ratio below 1) --------------------
    def step(self, tokens: Tensor, state: dict) -> tuple[Tensor, dict]:
        """Logits (batch, vocab) for the next token after ``tokens`` (batch,); the new state holds
        this step's attention weights under "attention"."""
        embedded = self.dropout(self.embedding(tokens))
        attention = self.config.attention
        if attention == "additive":
            context, weights = self._attend(state["hidden"].unsqueeze(1), state)
            context, weights = context.squeeze(1), weights.squeeze(1)
            state = self._cell(torch.cat([embedded, context], -1), state)
            features = torch.cat([state["hidden"], context], -1)
        elif self.luong:
            inputs = torch.cat([embedded, state["feed"]], -1) if self.config.input_feeding else embedded
            state = self._cell(inputs, state)
            context, weights = self._attend(state["hidden"].unsqueeze(1), state)
            features = torch.tanh(self.combine(torch.cat([context.squeeze(1), state["hidden"]], -1)))
            weights = weights.squeeze(1)
            if self.config.input_feeding:
                state["feed"] = features
        else:
            state = self._cell(torch.cat([embedded, state["summary"]], -1), state)
            features, weights = state["hidden"], None
        if weights is not None:
            state["attention"] = weights
        return self.output(self.dropout(features)), state

    # --- teacher-forced training -------------------------------------------------------------
    def forward(self, encoded: EncoderOutput, batch: dict) -> Tensor:
        """Logits (batch, target_time, vocab) for every position of ``batch["target_in"]``."""
        state = self.start_state(encoded, batch["lengths"])
        targets = batch["target_in"]
        forcing = self.config.teacher_forcing
        if self.training and forcing < 1.0:
            return self.run_steps(state, targets, forcing)[0]
        if self.config.attention == "none":
            embedded = self.dropout(self.embedding(targets))
            summary = state["summary"].unsqueeze(1).expand(-1, targets.size(1), -1)
            return self.output(self.dropout(self._sequence(torch.cat([embedded, summary], -1), state)))
        if self.luong and not self.config.input_feeding:
            hidden = self._sequence(self.dropout(self.embedding(targets)), state)
            context, _ = self._attend(hidden, state)
            return self.output(self.dropout(torch.tanh(self.combine(torch.cat([context, hidden], -1)))))
        return self.run_steps(state, targets, 1.0)[0]

    def _sequence(self, inputs: Tensor, state: dict) -> Tensor:
        """All target positions in one recurrent call."""
        initial = state["hidden"].unsqueeze(0)
        if self.config.cell == "lstm":
            initial = (initial, state["cell"].unsqueeze(0))
        return self.rnn(inputs, initial)[0]

    def run_steps(self, state: dict, targets: Tensor, forcing: float = 1.0) -> tuple[Tensor, Tensor | None]:
        """Step by step over ``targets``: logits (batch, steps, vocab) and attention (batch, steps, time).

        At each step after the first, with probability 1 - ``forcing`` the batch is fed its own
        previous prediction instead of the true token.
        """
        logits, weights = [], []
        tokens = targets[:, 0]
        for position in range(targets.size(1)):
            if position:
                forced = forcing >= 1.0 or bool(torch.rand(()) < forcing)
                tokens = targets[:, position] if forced else logits[-1].argmax(-1).detach()
            step_logits, state = self.step(tokens, state)
            logits.append(step_logits)
            if "attention" in state:
                weights.append(state["attention"])
        return torch.stack(logits, 1), (torch.stack(weights, 1) if weights else None)

    def loss(self, logits: Tensor, batch: dict) -> Tensor:
        smoothing = self.config.label_smoothing if self.training else 0.0
        return F.cross_entropy(logits.reshape(-1, logits.size(-1)), batch["target_out"].reshape(-1),
                               ignore_index=PAD_ID, label_smoothing=smoothing)
