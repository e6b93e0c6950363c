"""Seq2seq speed on this machine (not run in CI; run under the heavy-job lock):

    flock /tmp/zoo-heavy.lock .venv/bin/python bench/bench_seq2seq.py

1. Training target tokens/s of the zoo's gru-attn-seq2seq (its trainer step: forward, loss, backward,
   clipping, AdamW) against a hand-written PyTorch GRU encoder-decoder with additive attention of the
   same sizes (bidirectional GRU encoder, per-step Bahdanau decoder as in the classic tutorials),
   alternated in one process on the same batches.
2. Beam search (width 5): sentences/s batched over sentences against one sentence at a time.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time

import torch
from torch import nn
from torch.nn import functional as F

from zoo_core.data.vocab import Vocab
from zoo_core.workflows import create_model

VOCAB, EMBED, ENC_HIDDEN, DEC_HIDDEN, ATTN, BATCH, LENGTH = 8000, 128, 256, 256, 256, 64, 20


class HandWritten(nn.Module):
    """A plain Bahdanau encoder-decoder: what one writes without the zoo."""

    def __init__(self):
        super().__init__()
        self.src_embed = nn.Embedding(VOCAB, EMBED, padding_idx=0)
        self.encoder = nn.GRU(EMBED, ENC_HIDDEN, batch_first=True, bidirectional=True)
        self.bridge = nn.Linear(2 * ENC_HIDDEN, DEC_HIDDEN)
        self.tgt_embed = nn.Embedding(VOCAB, EMBED, padding_idx=0)
        self.keys = nn.Linear(2 * ENC_HIDDEN, ATTN, bias=False)
        self.query = nn.Linear(DEC_HIDDEN, ATTN)
        self.energy = nn.Linear(ATTN, 1, bias=False)
        self.cell = nn.GRUCell(EMBED + 2 * ENC_HIDDEN, DEC_HIDDEN)
        self.out = nn.Linear(DEC_HIDDEN + 2 * ENC_HIDDEN, VOCAB)

    def forward(self, source, lengths, target_in):
        states, _ = self.encoder(self.src_embed(source))
        mask = torch.arange(source.size(1)).unsqueeze(0) < lengths.unsqueeze(1)
        hidden = torch.tanh(self.bridge(states[torch.arange(source.size(0)), lengths - 1]))
        keys = self.keys(states)
        logits = []
        for t in range(target_in.size(1)):
            scores = self.energy(torch.tanh(keys + self.query(hidden).unsqueeze(1))).squeeze(-1)
            weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), -1)
            context = torch.bmm(weights.unsqueeze(1), states).squeeze(1)
            hidden = self.cell(torch.cat([self.tgt_embed(target_in[:, t]), context], -1), hidden)
            logits.append(self.out(torch.cat([hidden, context], -1)))
        return torch.stack(logits, 1)


def batches(count: int, seed: int = 0) -> list[dict]:
    generator = torch.Generator().manual_seed(seed)
    made = []
    for _ in range(count):
        lengths = torch.randint(LENGTH - 4, LENGTH + 1, (BATCH,), generator=generator)
        source = torch.randint(4, VOCAB, (BATCH, LENGTH), generator=generator)
        source = source.masked_fill(torch.arange(LENGTH).unsqueeze(0) >= lengths.unsqueeze(1), 0)
        target = torch.randint(4, VOCAB, (BATCH, LENGTH + 1), generator=generator)
        made.append({"tokens": source, "lengths": lengths, "target_in": target[:, :-1], "target_out": target[:, 1:],
                     "target_lengths": torch.full((BATCH,), LENGTH)})
    return made


def zoo_model():
    vocab = Vocab(["<pad>", "<unk>", "<s>", "</s>", *(f"w{i}" for i in range(VOCAB - 4))])
    return create_model("gru-attn-seq2seq", vocabs={"tokens": vocab, "target": vocab}, embedding__dim=EMBED,
                        encoder__hidden_size=ENC_HIDDEN, head__hidden_size=DEC_HIDDEN, head__embedding_dim=EMBED,
                        head__attention_dim=ATTN)


def train_rate(step, parameters, data) -> float:
    optimizer = torch.optim.AdamW(parameters, lr=1e-3)
    step(data[0])  # warm-up
    started, tokens = time.perf_counter(), 0
    for batch in data:
        optimizer.zero_grad(set_to_none=True)
        loss = step(batch)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(parameters, 5.0)
        optimizer.step()
        tokens += int(batch["target_lengths"].sum())
    return tokens / (time.perf_counter() - started)


def bench_training(rounds: int, steps: int) -> dict:
    torch.manual_seed(0)
    zoo, plain = zoo_model().train(), HandWritten().train()
    zoo_params, plain_params = list(zoo.parameters()), list(plain.parameters())
    assert sum(p.numel() for p in zoo_params) == sum(p.numel() for p in plain_params), "sizes differ"

    def zoo_step(batch):
        return zoo.task.train_step(zoo, batch, None)[0]

    def plain_step(batch):
        logits = plain(batch["tokens"], batch["lengths"], batch["target_in"])
        return F.cross_entropy(logits.reshape(-1, VOCAB), batch["target_out"].reshape(-1), ignore_index=0)

    zoo_rates, plain_rates = [], []
    for round_number in range(rounds):
        data = batches(steps, seed=round_number)
        plain_rates.append(train_rate(plain_step, plain_params, data))
        zoo_rates.append(train_rate(zoo_step, zoo_params, data))
    zoo_rate, plain_rate = statistics.median(zoo_rates), statistics.median(plain_rates)
    return {"zoo_tokens_per_s": round(zoo_rate), "hand_written_tokens_per_s": round(plain_rate),
            "ratio": round(zoo_rate / plain_rate, 3), "zoo_rounds": [round(r) for r in zoo_rates],
            "hand_written_rounds": [round(r) for r in plain_rates], "parameters": sum(p.numel() for p in zoo_params)}


def bench_beam(sentences: int, width: int) -> dict:
    from zoo_seq2seq.translate import choose_sampler, decode

    torch.manual_seed(0)
    model = zoo_model().eval()
    generator = torch.Generator().manual_seed(1)
    sources = [torch.randint(4, VOCAB, (int(n),), generator=generator).tolist()
               for n in torch.randint(5, 16, (sentences,), generator=generator)]
    sampler = choose_sampler(beam=width)[1]
    max_tokens = 20  # random weights rarely end a sentence: every hypothesis runs 20 tokens both ways
    decode(model, sources[:2], sampler, max_tokens)  # warm-up
    started = time.perf_counter()
    together = decode(model, sources, sampler, max_tokens)
    batched = sentences / (time.perf_counter() - started)
    started = time.perf_counter()
    alone = [decode(model, [source], sampler, max_tokens)[0] for source in sources]
    one_by_one = sentences / (time.perf_counter() - started)
    same = sum(a.tokens == b.tokens for a, b in zip(together, alone))
    return {"width": width, "sentences": sentences, "batched_sentences_per_s": round(batched, 1),
            "one_at_a_time_sentences_per_s": round(one_by_one, 1), "speedup": round(batched / one_by_one, 2),
            "identical_translations": same}


def main() -> None:
    parser = argparse.ArgumentParser(description="Seq2seq training and beam-search speed.")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=8, help="Training batches per round and model.")
    parser.add_argument("--sentences", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", help="Also write the results to this JSON file.")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    results = {"threads": args.threads, "torch": torch.__version__,
               "sizes": {"vocab": VOCAB, "embedding": EMBED, "encoder_hidden": ENC_HIDDEN, "bidirectional": True,
                         "decoder_hidden": DEC_HIDDEN, "attention": ATTN, "batch": BATCH, "length": LENGTH},
               "training": bench_training(args.rounds, args.steps), "beam": bench_beam(args.sentences, 5)}
    text = json.dumps(results, indent=2)
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")


if __name__ == "__main__":
    main()
