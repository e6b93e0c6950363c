"""The `lm` task: train a recurrent language model on plain text and generate from it.

Training reads the corpus as parallel contiguous streams (one per batch row, as in PyTorch's
word_language_model example) cut into chunks; each chunk is one call of the recurrent layer with
cross-entropy over every position, and the state is carried, detached, into the next chunk
(truncated back-propagation through time).
"""
from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any, Iterator, Optional, Sequence

import torch
from torch.nn import functional as F

from zoo_core.plugin import (
    BOS,
    PAD,
    UNK,
    ConfigError,
    DataError,
    DataOptions,
    Splits,
    SubwordVocab,
    TaskAbilities,
    TaskRunner,
    Vocab,
    bounded_counts,
    is_subword,
    tokenize,
    train_subword_vocab,
)
from zoo_recurrent.corpus import read_corpus, write_stdlib_corpus
from zoo_recurrent.corpus_stream import CorpusStream, streamed_chunks
from zoo_recurrent.generation import GeneratedToken, Generation

EVAL_BATCH_SIZE = 16


class TokenStream:
    """A corpus split as one long tensor of token ids."""

    def __init__(self, ids: torch.Tensor):
        self.ids = ids

    def __len__(self) -> int:
        return self.ids.numel()

    def __bool__(self) -> bool:
        return self.ids.numel() > 1


def stream_chunks(ids: torch.Tensor, batch_size: int, chunk_length: int, offset: int = 0) -> Iterator[dict]:
    """Chunks of ``batch_size`` parallel streams: inputs and next-token targets, in order."""
    columns = (ids.numel() - offset - 1) // batch_size
    if columns < 1:
        return
    inputs = ids[offset:offset + batch_size * columns].view(batch_size, columns)
    targets = ids[offset + 1:offset + 1 + batch_size * columns].view(batch_size, columns)
    for start in range(0, columns, chunk_length):
        chunk = inputs[:, start:start + chunk_length]
        lengths = torch.full((batch_size,), chunk.size(1), dtype=torch.long, device=ids.device)
        yield {"tokens": chunk, "targets": targets[:, start:start + chunk_length], "lengths": lengths}


class LanguageModelTask(TaskRunner):
    name = "lm"
    primary_metric = "loss"
    higher_is_better = False
    abilities = TaskAbilities(streaming_data=True, generation=True)
    run_options = frozenset({"max_tokens", "sampler", "temperature", "top_k", "top_p", "seed"})

    def __init__(self, config):
        super().__init__(config)
        if getattr(config.encoder, "bidirectional", False):
            raise ConfigError("encoder.bidirectional: a language model reads left to right only; set it to false")

    # data ---------------------------------------------------------------------------------
    def default_data(self, directory: Path) -> str:
        return str(write_stdlib_corpus(directory))

    subword = None  # a SubwordVocab once trained or loaded (tokenizer.type bpe, unigram)

    def use_vocabs(self, vocabs):
        self.subword = vocabs["tokens"] if isinstance(vocabs["tokens"], SubwordVocab) else None

    def tokens(self, text: str) -> list[str]:
        if self.subword is not None:
            return self.subword.tokenize(text)
        return tokenize(text, self.config.tokenizer.type, self.config.tokenizer.lowercase)

    def read_tokens(self, path: str) -> list[str]:
        """Every document's tokens, each document after a start token."""
        return self.documents_tokens(self.read_documents(path))

    def read_documents(self, path: str) -> list[str]:
        return read_corpus(path, int(self.config.data.max_corpus_mb * 1e6))

    def documents_tokens(self, documents: list[str]) -> list[str]:
        step = -1 if self.config.data.reverse else 1  # a backward LM reads each document from its end
        return [token for document in documents for token in (BOS, *self.tokens(document)[::step])]

    def train_subword(self, documents: list[str], whole: bool) -> None:
        """Learn the subword tokenizer from the training text: without a --valid file, the first
        (1 - valid_fraction) of the characters (the validation tokens come from the rest)."""
        text = "\n".join(documents)
        if not whole:
            text = text[: int(len(text) * (1 - self.config.data.valid_fraction))]
        self.subword = train_subword_vocab(text.splitlines(), self.config.tokenizer, (PAD, UNK, BOS))

    def load_splits(self, options: DataOptions) -> Splits:
        if self.config.training.stream:
            for setting, on in (("data.reverse", self.config.data.reverse),
                                (f"tokenizer.type {self.config.tokenizer.type}", is_subword(self.config.tokenizer))):
                if on:
                    raise ConfigError(f"{setting}: not with a streamed corpus; drop --stream (or training.stream)")
            return self.stream_splits(options)
        documents = self.read_documents(options.path)
        if is_subword(self.config.tokenizer):
            self.train_subword(documents, whole=bool(options.valid))
        stream = self.documents_tokens(documents)
        if options.valid:
            train, valid = stream, self.read_tokens(options.valid)
        else:  # fixed rule: the first (1 - valid_fraction) of the tokens train, the rest validate
            cut = int(len(stream) * (1 - self.config.data.valid_fraction))
            train, valid = stream[:cut], stream[cut:]
        test = self.read_tokens(options.test) if options.test else []
        chunk = self.config.data.chunk_length
        if len(train) < chunk + 1:
            raise DataError(f"{options.path}: {len(train):,} training tokens, fewer than one chunk "
                            f"({chunk + 1} with its next-token target); give more text or lower data.chunk_length")
        return Splits([train], [valid] if len(valid) > 1 else [], [test] if test else [])

    def load_eval(self, options: DataOptions) -> list:
        """`zoo eval`: every token of --data; ``--split train`` or ``valid`` keeps the rule's share (the first
        1 - data.valid_fraction of the tokens train, the rest validate; there is no test share)."""
        stream = self.read_tokens(options.path)
        if not options.split:
            return [stream]
        if options.split == "test":
            raise DataError("--split test: the lm task's split rule holds out only a validation share "
                            "(data.valid_fraction); give a test file to --data, or use --split valid")
        cut = int(len(stream) * (1 - self.config.data.valid_fraction))
        chosen = stream[:cut] if options.split == "train" else stream[cut:]
        if len(chosen) < 2:
            raise DataError(f"{options.path}: the split rule puts no tokens in the {options.split} split; "
                            "leave out --split to score every token")
        return [chosen]

    def count_examples(self, examples) -> int:
        """Tokens scored (each after the one before it): an LM's examples are its tokens."""
        return max(sum(len(tokens) for tokens in examples) - 1, 0)

    def stream_splits(self, options: DataOptions) -> Splits:
        """Byte ranges of the file, read on demand: the first (1 - valid_fraction) of its bytes train."""
        whole_words = self.config.tokenizer.type == "word"

        def stream(path, fraction=(0.0, 1.0)):
            return CorpusStream.of_file(path, self.tokens, whole_words, fraction)

        cut = 1 - self.config.data.valid_fraction
        train = stream(options.path, (0.0, cut if not options.valid else 1.0))
        valid = stream(options.valid) if options.valid else stream(options.path, (cut, 1.0))
        return Splits(train, valid if valid else [], stream(options.test) if options.test else [])

    def build_vocabs(self, train: Sequence) -> dict[str, Vocab]:
        tokenizer = self.config.tokenizer
        if self.subword is not None:  # learnt in load_splits, from the training text
            return {"tokens": self.subword}
        if isinstance(train, CorpusStream):  # one pass, bounded memory
            counts = bounded_counts(train.token_lists(), tokenizer.max_size)
            return {"tokens": Vocab.from_counts(counts, tokenizer.min_freq, tokenizer.max_size, specials=(PAD, UNK, BOS))}
        return {"tokens": Vocab.build(train, tokenizer.min_freq, tokenizer.max_size, specials=(PAD, UNK, BOS))}

    def example_batch(self, vocabs, batch_size: int, device) -> dict:
        """Random rows of lengths 6, 4, 2...; padded targets are <pad>, which the loss ignores."""
        generator = torch.Generator().manual_seed(0)
        lengths = torch.tensor([max(1, 6 - 2 * (i % 3)) for i in range(batch_size)])
        mask = torch.arange(6).unsqueeze(0) < lengths.unsqueeze(1)
        tokens = torch.randint(2, len(vocabs["tokens"]), (batch_size, 6), generator=generator) * mask
        targets = torch.randint(2, len(vocabs["tokens"]), (batch_size, 6), generator=generator) * mask
        return {"tokens": tokens.to(device), "targets": targets.to(device), "lengths": lengths.to(device)}

    def encode(self, examples: Sequence, vocabs) -> TokenStream:
        if isinstance(examples, CorpusStream):
            return examples.with_vocab(vocabs["tokens"])
        ids = [i for tokens in examples for i in vocabs["tokens"].encode(tokens)]
        return TokenStream(torch.tensor(ids, dtype=torch.long))

    def batches(self, encoded: TokenStream, batch_size: int, device, shuffle: bool, rng: random.Random):
        chunk = self.config.data.chunk_length
        if isinstance(encoded, CorpusStream):
            yield from streamed_chunks(encoded, batch_size, chunk, device)
            return
        # A random start each epoch moves the chunk boundaries, so no token is always first in its chunk.
        offset = rng.randrange(min(chunk, max(len(encoded) - batch_size * 2, 1))) if shuffle else 0
        yield from stream_chunks(encoded.ids.to(device), batch_size, chunk, offset)

    def train_batches(self, encoded, batch_size: int, device, rng: random.Random, rank: int = 0, world_size: int = 1):
        """Processes split the rows, not the chunks: the corpus is cut into batch_size x world_size
        streams and each process reads batch_size of them, so every row's carried state still follows
        its text (and the global batch is one process's with batch_size x world_size rows)."""
        if world_size == 1:
            return self.batches(encoded, batch_size, device, True, rng)
        if isinstance(encoded, CorpusStream):
            return streamed_chunks(encoded, batch_size, self.config.data.chunk_length, device, rank, world_size)
        rows = slice(rank * batch_size, (rank + 1) * batch_size)
        return ({key: value[rows] for key, value in batch.items()}
                for batch in self.batches(encoded, batch_size * world_size, device, True, rng))

    def num_batches(self, encoded: TokenStream, batch_size: int) -> Optional[int]:
        if isinstance(encoded, CorpusStream):
            return None
        return -(-((len(encoded) - 1) // batch_size) // self.config.data.chunk_length)

    # training -----------------------------------------------------------------------------
    def train_step(self, model, batch: dict, carry: Any):
        state = model.encoder.detach_state(carry)
        logits, encoded = model(batch, state)
        return model.head.loss(logits, batch), encoded.state

    def count_tokens(self, batch: dict) -> int:
        return batch["targets"].numel()

    def evaluate(self, model, encoded: TokenStream) -> dict:
        """Loss in nats per token, perplexity, and bits per character for character models."""
        return self.scores(model, encoded)[0]

    def evaluate_report(self, model, encoded, **options) -> dict:
        """evaluate's metrics and ``tokens_scored``: the parallel rows leave out the last few tokens (fewer
        than the eval batch of 16 rows) that do not fill a row."""
        metrics, count = self.scores(model, encoded)
        return {**metrics, "tokens_scored": count}

    @torch.no_grad()
    def scores(self, model, encoded) -> tuple[dict, int]:
        model.eval()
        chunk = self.config.data.chunk_length
        if isinstance(encoded, CorpusStream):
            rows = max(1, min(EVAL_BATCH_SIZE, (encoded.end - encoded.start) // (chunk * 8)))  # 8+ chunks a row
            batches = streamed_chunks(encoded, rows, chunk, model.device)
        else:
            batch_size = max(1, min(EVAL_BATCH_SIZE, (len(encoded) - 1) // chunk))
            batches = stream_chunks(encoded.ids.to(model.device), batch_size, chunk)
        total, count, state = 0.0, 0, None
        for batch in batches:
            logits, output = model(batch, state)
            state = output.state
            total += F.cross_entropy(logits.reshape(-1, logits.size(-1)).float(), batch["targets"].reshape(-1),
                                     reduction="sum").item()
            count += batch["targets"].numel()
        loss = total / max(count, 1)
        metrics = {"loss": loss, "perplexity": math.exp(min(loss, 700.0))}
        if self.config.tokenizer.type == "char":
            metrics["bits_per_char"] = loss / math.log(2)
        return metrics, count

    # inference ----------------------------------------------------------------------------
    def generate(self, model, prompt: str = "", **options) -> Iterator[GeneratedToken]:
        """Tokens generated after ``prompt``; options as `zoo run` (max_tokens, sampler, temperature,
        top_k, top_p, seed). Bad options raise here, before the first token."""
        return iter(Generation(model, prompt, **options))

    def predict(self, model, inputs: list[str], **options) -> list[dict]:
        return [self.record(Generation(model, prompt, **options)) for prompt in inputs]

    def record(self, generation: Generation) -> dict:
        tokens = list(generation)
        return {"input": generation.prompt, "prediction": "".join(t.text for t in tokens),
                "tokens": [t.text for t in tokens], "log_probs": [round(t.log_prob, 6) for t in tokens],
                "sampler": generation.sampler_name, "seed": generation.seed}
