"""Character LM speed, in one run: training tokens/s of the zoo against a hand-written full-chunk
loop and a one-token-at-a-time loop; generation tokens/s (model.generate and `zoo run`'s streaming path)
against the fastest hand-written carry-the-state loop (oneDNN off for single steps, torch's threads or one)
and against re-running the prefix every step.

    flock /tmp/zoo-heavy.lock .venv/bin/python bench/bench_lm.py --reps 5

Setting (issue 3): batch 32, chunk 128, embedding 64, hidden 512, vocabulary 65, AdamW, clip 5.
Cases run interleaved, rep by rep, so a busy machine slows them alike; medians are reported.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn
from torch.nn import functional as F

import zoo_core as zoo
from zoo_core.data.vocab import Vocab

BATCH, CHUNK, EMBEDDING, HIDDEN, VOCAB = 32, 128, 64, 512, 65


def vocab65() -> Vocab:
    return Vocab(["<pad>", "<unk>", "<s>", *[chr(c) for c in range(33, 33 + VOCAB - 3)]])


def chunks(steps: int, seed: int = 0) -> list[tuple[torch.Tensor, torch.Tensor]]:
    generator = torch.Generator().manual_seed(seed)
    stream = torch.randint(3, VOCAB, (BATCH, steps * CHUNK + 1), generator=generator)
    return [(stream[:, i * CHUNK:(i + 1) * CHUNK], stream[:, i * CHUNK + 1:(i + 1) * CHUNK + 1]) for i in range(steps)]


class HandWritten(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, EMBEDDING)
        self.lstm = nn.LSTM(EMBEDDING, HIDDEN, batch_first=True)
        self.output = nn.Linear(HIDDEN, VOCAB)

    def full_chunk_loss(self, tokens, targets, state):
        states, state = self.lstm(self.embedding(tokens), state)
        return F.cross_entropy(self.output(states).reshape(-1, VOCAB), targets.reshape(-1)), state

    def one_token_loss(self, tokens, targets, state):
        """The classic tutorial loop: one token per call, hidden state carried by hand."""
        loss = 0.0
        for t in range(tokens.size(1)):
            out, state = self.lstm(self.embedding(tokens[:, t:t + 1]), state)
            loss = loss + F.cross_entropy(self.output(out[:, 0]), targets[:, t])
        return loss / tokens.size(1), state


def train_rate(loss_of, parameters, data) -> float:
    """Predicted tokens per second over ``data`` (after one warm-up step), TBPTT with a detached carry."""
    optimizer = torch.optim.AdamW(parameters, lr=1e-3)
    state = None
    for index, (tokens, targets) in enumerate(data):
        if index == 1:
            start = time.perf_counter()
        if state is not None:
            state = tuple(s.detach() for s in state)
        loss, state = loss_of(tokens, targets, state)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(parameters, 5.0)
        optimizer.step()
    return (len(data) - 1) * BATCH * CHUNK / (time.perf_counter() - start)


def bench_training(reps: int, steps: int) -> dict[str, list[float]]:
    rates: dict[str, list[float]] = {"zoo": [], "hand-written full chunk": [], "one token at a time": []}
    for rep in range(reps):
        torch.manual_seed(rep)
        model = zoo.create_model("char-lstm-lm", vocab=vocab65()).train()
        task = model.task

        def zoo_loss(tokens, targets, state):
            lengths = torch.full((BATCH,), tokens.size(1), dtype=torch.long)
            return task.train_step(model, {"tokens": tokens, "targets": targets, "lengths": lengths}, state)

        hand = HandWritten().train()
        data = chunks(steps, seed=rep)
        rates["zoo"].append(train_rate(zoo_loss, list(model.parameters()), data))
        rates["hand-written full chunk"].append(train_rate(hand.full_chunk_loss, list(hand.parameters()), data))
        rates["one token at a time"].append(train_rate(hand.one_token_loss, list(hand.parameters()), data[:max(3, steps // 3)]))
    return rates


@torch.inference_mode()
def rerun_prefix(model, prompt_ids: list[int], max_tokens: int, generator) -> int:
    """The naive generator: the whole sequence from a zero state for every new token."""
    ids = list(prompt_ids)
    for _ in range(max_tokens):
        tokens = torch.tensor([ids])
        logits, _ = model({"tokens": tokens, "lengths": torch.tensor([len(ids)])})
        ids.append(int(torch.multinomial(logits[0, -1].softmax(-1), 1, generator=generator)))
    return max_tokens


@torch.inference_mode()
def hand_written_loop(model, prompt_ids: list[int], max_tokens: int, generator, threads: int) -> int:
    """The fastest hand-written generator found here: the prompt in one call, then one nn.LSTM call a token
    with the state carried, oneDNN off for those single steps (its per-call cost dominates them), softmax and
    torch.multinomial; ``threads`` torch threads."""
    lstm, embedding, output = model.encoder.forward_rnn, model.embedding, model.head.output
    saved = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        _, state = lstm(embedding(torch.tensor([prompt_ids[:-1]])))
        token = torch.tensor([[prompt_ids[-1]]])
        with torch.backends.mkldnn.flags(enabled=False):
            for _ in range(max_tokens):
                out, state = lstm(embedding(token), state)
                token = torch.multinomial(output(out[:, -1]).softmax(-1), 1, generator=generator)
    finally:
        torch.set_num_threads(saved)
    return max_tokens


def zoo_run_stream(model, prompt: str, max_tokens: int, seed: int) -> int:
    """`zoo run MODEL PROMPT`'s own streaming path (each token written and flushed), to /dev/null."""
    import contextlib

    from zoo_core.cli.running import stream_generations

    with open("/dev/null", "w") as sink, contextlib.redirect_stdout(sink):
        stream_generations(model, [prompt], {"max_tokens": max_tokens, "seed": seed})
    return max_tokens


def bench_generation(reps: int, tokens: int, naive_reps: int) -> dict[str, list[float]]:
    torch.manual_seed(0)
    model = zoo.create_model("char-lstm-lm", vocab=vocab65()).eval()  # untrained: speed does not depend on weights
    prompt = [model.vocabs["tokens"].id("<s>"), *model.vocabs["tokens"].encode(list("ROMEO:"))]
    threads = torch.get_num_threads()
    counts = sorted({threads, 1}, reverse=True)

    def label(used: int) -> str:
        return f"hand-written loop, oneDNN off, {used} thread{'s' if used > 1 else ''}"

    rates: dict[str, list[float]] = {"zoo, state carried": [], "zoo run (CLI streaming path)": [],
                                     **{label(used): [] for used in counts}, "re-run prefix": []}
    list(model.generate("ROMEO:", max_tokens=20, seed=0))  # warm-up
    hand_written_loop(model, prompt, 20, torch.Generator().manual_seed(0), 1)
    for rep in range(reps):
        start = time.perf_counter()
        count = sum(1 for _ in model.generate("ROMEO:", max_tokens=tokens, seed=rep))
        rates["zoo, state carried"].append(count / (time.perf_counter() - start))
        start = time.perf_counter()
        count = zoo_run_stream(model, "ROMEO:", tokens, rep)
        rates["zoo run (CLI streaming path)"].append(count / (time.perf_counter() - start))
        for used in counts:
            start = time.perf_counter()
            count = hand_written_loop(model, prompt, tokens, torch.Generator().manual_seed(rep), used)
            rates[label(used)].append(count / (time.perf_counter() - start))
        if rep < naive_reps:
            start = time.perf_counter()
            count = rerun_prefix(model, [2, 10, 11], tokens, torch.Generator().manual_seed(rep))
            rates["re-run prefix"].append(count / (time.perf_counter() - start))
    return rates


def table(title: str, rates: dict[str, list[float]], unit: str) -> str:
    lines = [f"**{title}**", "", f"| case | {unit} (median) | range | n |", "|---|---|---|---|"]
    for name, values in rates.items():
        lines.append(f"| {name} | **{statistics.median(values):,.0f}** | {min(values):,.0f}–{max(values):,.0f} | {len(values)} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--steps", type=int, default=8, help="training steps per case and rep (plus a warm-up)")
    parser.add_argument("--tokens", type=int, default=500, help="tokens generated per generation")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, oneDNN {torch.backends.mkldnn.is_available()}")
    train = bench_training(args.reps, args.steps)
    median = {name: statistics.median(values) for name, values in train.items()}
    print(table("Training, batch 32 x chunk 128, embedding 64, hidden 512, vocab 65", train, "tokens/s"))
    print(f"\nzoo / hand-written full chunk = **{median['zoo'] / median['hand-written full chunk']:.2f}x**; "
          f"zoo / one token at a time = **{median['zoo'] / median['one token at a time']:.2f}x**\n")
    generation = bench_generation(args.reps, args.tokens, naive_reps=min(2, args.reps))
    gen_median = {name: statistics.median(values) for name, values in generation.items()}
    print(table(f"Generation, batch 1, hidden 512, {args.tokens} tokens, untrained weights", generation, "tokens/s"))
    hand = max(value for name, value in gen_median.items() if name.startswith("hand-written"))
    print(f"\ncarried / re-run prefix = **{gen_median['zoo, state carried'] / gen_median['re-run prefix']:.1f}x**; "
          f"zoo / fastest hand-written loop = **{gen_median['zoo, state carried'] / hand:.2f}x**; "
          f"zoo run / fastest hand-written loop = **{gen_median['zoo run (CLI streaming path)'] / hand:.2f}x**")


if __name__ == "__main__":
    main()
