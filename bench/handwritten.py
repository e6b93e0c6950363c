"""The hand-written PyTorch side of bench_families.py and bench_linear.py: what a practitioner writes without a zoo.

Classifiers: embedding, nn.RNN/LSTM/GRU (bidirectional when asked), a pooling written out (final state, max,
mean, self-attention, or ULMFiT's concat), a linear layer. A BiLSTM-CRF tagger with its own CRF (the same
forward algorithm and Viterbi as the zoo's, written here again). Training loops over ready-made equal-length
batch tensors; inference loops over raw text in input order, batched, under no_grad, on the zoo model's weights.
"""
from __future__ import annotations

import time

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

LAYERS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


class HandClassifier(nn.Module):
    def __init__(self, cell: str, bidirectional: bool, pooling: str, vocab: int, embed: int, hidden: int,
                 classes: int, attention_hidden: int = 128):
        super().__init__()
        self.pooling, self.bidirectional = pooling, bidirectional
        self.embedding = nn.Embedding(vocab, embed, padding_idx=0)
        self.rnn = LAYERS[cell](embed, hidden, batch_first=True, bidirectional=bidirectional)
        width = hidden * (2 if bidirectional else 1)
        if pooling == "attention":
            self.score = nn.Sequential(nn.Linear(width, attention_hidden, bias=False), nn.Tanh(),
                                       nn.Linear(attention_hidden, 1, bias=False))
        self.output = nn.Linear(width * (3 if pooling == "concat" else 1), classes)

    def final(self, hidden):
        return torch.cat([hidden[-2], hidden[-1]], dim=-1) if self.bidirectional else hidden[-1]

    def forward(self, tokens):
        states, final = self.rnn(self.embedding(tokens))
        last = self.final(final[0] if isinstance(final, tuple) else final)
        if self.pooling == "last":
            pooled = last
        elif self.pooling == "max":
            pooled = states.max(1).values
        elif self.pooling == "mean":
            pooled = states.mean(1)
        elif self.pooling == "attention":
            pooled = torch.bmm(self.score(states).softmax(1).transpose(1, 2), states).squeeze(1)
        else:  # concat
            pooled = torch.cat([states.mean(1), states.max(1).values, last], dim=-1)
        return self.output(pooled)


class HandCRF(nn.Module):
    """Linear-chain CRF for equal-length batches: forward algorithm for the loss, Viterbi for decoding."""

    def __init__(self, tags: int):
        super().__init__()
        self.transitions = nn.Parameter(torch.zeros(tags, tags))
        self.start = nn.Parameter(torch.zeros(tags))
        self.end = nn.Parameter(torch.zeros(tags))

    def nll(self, emissions, tags):
        gold = self.start[tags[:, 0]] + emissions.gather(2, tags.unsqueeze(-1)).squeeze(-1).sum(1)
        gold = gold + self.transitions[tags[:, :-1], tags[:, 1:]].sum(1) + self.end[tags[:, -1]]
        alpha = self.start + emissions[:, 0]
        for t in range(1, emissions.size(1)):
            alpha = torch.logsumexp(alpha.unsqueeze(2) + self.transitions + emissions[:, t].unsqueeze(1), dim=1)
        return (torch.logsumexp(alpha + self.end, dim=1) - gold).sum()

    @torch.no_grad()
    def decode(self, emissions, lengths):
        mask = torch.arange(emissions.size(1)).unsqueeze(0) < lengths.unsqueeze(1)
        score, pointers = self.start + emissions[:, 0], []
        for t in range(1, emissions.size(1)):
            best, previous = (score.unsqueeze(2) + self.transitions).max(dim=1)
            pointers.append(previous)
            score = torch.where(mask[:, t].unsqueeze(1), best + emissions[:, t], score)
        last, pointers = (score + self.end).argmax(-1).tolist(), [p.tolist() for p in pointers]
        paths = []
        for row, length in enumerate(lengths.tolist()):
            path = [last[row]]
            for t in range(length - 1, 0, -1):
                path.append(pointers[t - 1][row][path[-1]])
            paths.append(path[::-1])
        return paths


class HandTagger(nn.Module):
    """BiLSTM-CRF (Huang et al. 2015): embedding, nn.LSTM(bidirectional), a linear layer, the CRF; with
    ``crf=False`` a per-token softmax instead."""

    def __init__(self, vocab: int, embed: int, hidden: int, tags: int, crf: bool = True):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed, padding_idx=0)
        self.rnn = nn.LSTM(embed, hidden, batch_first=True, bidirectional=True)
        self.output = nn.Linear(2 * hidden, tags)
        self.crf = HandCRF(tags) if crf else None

    def emissions(self, tokens, lengths=None):
        embedded = self.embedding(tokens)
        if lengths is None:  # training: equal lengths
            return self.output(self.rnn(embedded)[0])
        packed = pack_padded_sequence(embedded, lengths, batch_first=True, enforce_sorted=False)
        states, _ = pad_packed_sequence(self.rnn(packed)[0], batch_first=True, total_length=tokens.size(1))
        return self.output(states)

    def loss(self, tokens, tags):
        if self.crf is None:
            return F.cross_entropy(self.emissions(tokens).flatten(0, 1), tags.flatten())
        return self.crf.nll(self.emissions(tokens), tags) / tags.numel()

    def decode(self, emissions, lengths):
        if self.crf is not None:
            return self.crf.decode(emissions, lengths)
        return [row[:n] for row, n in zip(emissions.argmax(-1).tolist(), lengths.tolist())]


def train_epoch(model, optimizer, batches, loss_of) -> float:
    """Sequences a second over ``batches`` of (tokens, targets): the classic loop."""
    model.train()
    start = time.perf_counter()
    for tokens, targets in batches:
        loss = loss_of(model, tokens, targets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
    return sum(len(t) for t, _ in batches) / (time.perf_counter() - start)


def classifier_loss(model, tokens, labels):
    return F.cross_entropy(model(tokens), labels)


def tagger_loss(model, tokens, tags):
    return model.loss(tokens, tags)


# --- inference over raw text, on the zoo model's weights ---------------------------------------------------

def pad_rows(rows: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    longest = max(len(r) for r in rows)
    return (torch.tensor([r + [0] * (longest - len(r)) for r in rows]),
            torch.tensor([len(r) for r in rows]))


@torch.no_grad()
def classify_lines(model: HandClassifier, index: dict, labels: list[str], lines: list[str], batch: int = 256):
    """(label, probability) per line; each sequence read at its own last token (last pooling)."""
    model.eval()
    out = []
    for start in range(0, len(lines), batch):
        rows = [[index.get(w, 1) for w in line.lower().split()] or [1] for line in lines[start:start + batch]]
        tokens, lengths = pad_rows(rows)
        states, _ = model.rnn(model.embedding(tokens))
        last = states[torch.arange(len(rows)), lengths - 1]
        probabilities = model.output(last).softmax(-1)
        best = probabilities.argmax(-1)
        out.extend((labels[b], p) for b, p in zip(best.tolist(), probabilities.max(-1).values.tolist()))
    return out


@torch.no_grad()
def tag_lines(model: HandTagger, index: dict, labels: list[str], lines: list[str], batch: int = 256):
    """Tags per line (whitespace-split words), Viterbi over each sentence's own length."""
    model.eval()
    out = []
    for start in range(0, len(lines), batch):
        words = [line.split() for line in lines[start:start + batch]]
        tokens, lengths = pad_rows([[index.get(w, 1) for w in sentence] for sentence in words])
        paths = model.decode(model.emissions(tokens, lengths), lengths)
        out.extend([labels[i] for i in path] for path in paths)
    return out


def classifier_from_zoo(zoo_model, cell: str) -> HandClassifier:
    """A HandClassifier carrying a (unidirectional, last-pooling) zoo classifier's weights."""
    config = zoo_model.config
    model = HandClassifier(cell, False, "last", len(zoo_model.vocabs["tokens"]), config.embedding.dim,
                           config.encoder.hidden_size, len(zoo_model.vocabs["labels"]))
    model.embedding.load_state_dict(zoo_model.embedding.state_dict())
    model.rnn.load_state_dict(zoo_model.encoder.forward_rnn.state_dict())
    model.output.load_state_dict(zoo_model.head.output[-1].state_dict())
    return model


def tagger_from_zoo(zoo_model) -> HandTagger:
    """A HandTagger carrying a bilstm(-crf)-tagger's weights (its two directions into one bidirectional nn.LSTM)."""
    config, crf = zoo_model.config, zoo_model.head.crf
    model = HandTagger(len(zoo_model.vocabs["tokens"]), config.embedding.dim, config.encoder.hidden_size,
                       len(zoo_model.vocabs["labels"]), crf=crf is not None)
    model.embedding.load_state_dict(zoo_model.embedding.state_dict())
    encoder = zoo_model.encoder
    weights = dict(encoder.forward_rnn.state_dict())
    weights.update({f"{name}_reverse": value for name, value in encoder.backward_rnn.state_dict().items()})
    model.rnn.load_state_dict(weights)
    model.output.load_state_dict(zoo_model.head.output[-1].state_dict())
    if crf is not None:
        model.crf.load_state_dict({"transitions": crf.transitions + crf.forbidden_transitions,
                                   "start": crf.start + crf.forbidden_start, "end": crf.end + crf.forbidden_end})
    return model
