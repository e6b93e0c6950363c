"""The `seq2seq` task: sentence pairs in, translations out; BLEU (sacrebleu) and perplexity.

The source side uses the model's input vocabulary "tokens" with the standard embedding and encoder;
the target side has its own vocabulary "target" (with <s> and </s>). Tokenizer choices (word or
char, lower-casing) are in the model's config, so `zoo run` tokenizes as training did.
"""
from __future__ import annotations

import math
import random
import sys
from pathlib import Path
from typing import Sequence

import torch
from torch.nn import functional as F

from zoo_core.plugin import (
    PAD,
    PAD_ID,
    UNK,
    DataError,
    DataOptions,
    Splits,
    SubwordVocab,
    TaskAbilities,
    TaskRunner,
    Vocab,
    ZooError,
    bucket_batches,
    is_subword,
    pad,
    tokenize,
    train_subword_vocab,
)
from zoo_seq2seq.data import BOS_ID, EOS_ID, TARGET_SPECIALS, Pair, read_pairs, split_bucket, warn, within_words
from zoo_seq2seq.translate import Translator, choose_sampler, decode, detokenize


class EncodedPairs(list):
    """Encoded pairs (source ids, target ids, reference text); ``role`` "valid" marks the
    validation split, whose BLEU is taken on a fixed sample to keep epochs quick."""

    role: str = ""


def with_role(pairs: list, role: str) -> EncodedPairs:
    marked = EncodedPairs(pairs)
    marked.role = role
    return marked


class Seq2SeqTask(TaskRunner):
    name = "seq2seq"
    abilities = TaskAbilities(attention_maps=True)
    run_options = frozenset({"beam", "sampler", "max_tokens", "attention", "temperature", "top_k", "top_p", "seed"})
    eval_options = frozenset({"beam"})

    def __init__(self, config):
        super().__init__(config)
        self.subwords: dict[str, SubwordVocab] = {}  # known once the vocabularies are (use_vocabs)
        self.primary_metric = config.data.select_on
        self.higher_is_better = config.data.select_on == "bleu"

    # data ---------------------------------------------------------------------------------
    def default_data(self, directory: Path) -> str:
        from zoo_seq2seq.synthetic import write_number_pairs

        return str(write_number_pairs(directory))

    def read(self, path: str, options: DataOptions) -> list[Pair]:
        pairs = read_pairs(path, options.text_field, options.label_field)
        limit = self.config.data.max_words
        kept = [pair for pair in pairs if within_words(pair, limit)]
        if len(kept) < len(pairs):
            print(f"{path}: kept {len(kept):,} of {len(pairs):,} pairs with at most {limit} words a side "
                  "(data.max_words)", file=sys.stderr)
        return kept

    def load_splits(self, options: DataOptions) -> Splits:
        pairs = self.read(options.path, options)
        buckets = [split_bucket(pair.source) for pair in pairs]
        train = [p for p, b in zip(pairs, buckets) if b > 1 or (options.valid and b == 1) or (options.test and b == 0)]
        valid = self.read(options.valid, options) if options.valid else [p for p, b in zip(pairs, buckets) if b == 1]
        test = self.read(options.test, options) if options.test else [p for p, b in zip(pairs, buckets) if b == 0]
        if not train:
            raise DataError(f"{options.path}: no training pairs after splitting and length filtering; give more data")
        return Splits(train, with_role(valid, "valid"), with_role(test, "test"))

    def load_eval(self, options: DataOptions) -> list[Pair]:
        """`zoo eval`: every pair of --data (data.max_words filters training data only; a long source is
        truncated to data.max_length, with a warning); ``--split`` keeps the md5 rule's share."""
        pairs = read_pairs(options.path, options.text_field, options.label_field)
        if options.split:
            bucket = {"test": 0, "valid": 1}.get(options.split)
            pairs = [p for p in pairs if (split_bucket(p.source) > 1 if bucket is None else split_bucket(p.source) == bucket)]
            if not pairs:
                raise DataError(f"{options.path}: the split rule puts no pairs in the {options.split} split; "
                                "leave out --split to score every pair")
        return pairs

    def tokens(self, text: str, side: str = "tokens") -> list[str]:
        """Source ("tokens") or target ("target") tokens; subword models have one tokenizer a side."""
        subword = self.subwords.get(side)
        if subword is not None:
            return subword.tokenize(text)
        return tokenize(text, self.config.tokenizer.type, self.config.tokenizer.lowercase)

    def use_vocabs(self, vocabs: dict[str, Vocab]) -> None:
        self.subwords = {side: vocab for side, vocab in vocabs.items() if isinstance(vocab, SubwordVocab)}

    def build_vocabs(self, train: Sequence[Pair]) -> dict[str, Vocab]:
        tokenizer = self.config.tokenizer
        if is_subword(tokenizer):  # each side learnt from its own training sentences
            vocabs = {"tokens": train_subword_vocab((p.source for p in train), tokenizer, (PAD, UNK)),
                      "target": train_subword_vocab((p.target for p in train), tokenizer, TARGET_SPECIALS)}
            self.use_vocabs(vocabs)  # the training data is encoded before the model (and use_vocabs) exists
            return vocabs
        return {
            "tokens": Vocab.build((self.tokens(p.source) for p in train), tokenizer.min_freq, tokenizer.max_size),
            "target": Vocab.build((self.tokens(p.target) for p in train), tokenizer.min_freq, tokenizer.max_size,
                                  specials=TARGET_SPECIALS),
        }

    def head_context(self, vocabs: dict[str, Vocab]) -> dict:
        target = vocabs["target"]
        return {"target_vocab_size": len(target), "bos_id": BOS_ID, "eos_id": EOS_ID}

    def reference(self, text: str) -> str:
        return text.lower() if self.config.tokenizer.lowercase else text

    def encode_sources(self, sentences: Sequence[str], vocabs, warn_label: str = "source sentence") -> list[list[int]]:
        """Source id lists, truncated to data.max_length (said once, with how many)."""
        limit, vocab = self.config.data.max_length, vocabs["tokens"]
        encoded, cut = [], 0
        for sentence in sentences:
            tokens = self.tokens(sentence)
            cut += len(tokens) > limit
            encoded.append(vocab.encode(tokens[:limit]) or [vocab.id(UNK)])
        if cut:
            warn(f"{cut:,} {warn_label}(s) longer than the model's limit of {limit} tokens (data.max_length) "
                 "were truncated")
        return encoded

    def encode(self, examples: Sequence[Pair], vocabs) -> EncodedPairs:
        sources = self.encode_sources([p.source for p in examples], vocabs)
        limit, target = self.config.data.max_target_length, vocabs["target"]
        encoded = EncodedPairs(
            (source, target.encode(self.tokens(pair.target, "target")[:limit]), self.reference(pair.target))
            for source, pair in zip(sources, examples))
        encoded.role = getattr(examples, "role", "")
        return encoded

    def make_batch(self, pairs: Sequence[tuple], device) -> dict:
        tokens, lengths = pad([p[0] for p in pairs], device)
        target_in, target_lengths = pad([[BOS_ID, *p[1]] for p in pairs], device)
        target_out, _ = pad([[*p[1], EOS_ID] for p in pairs], device)
        return {"tokens": tokens, "lengths": lengths, "target_in": target_in, "target_out": target_out,
                "target_lengths": target_lengths}

    def batches(self, encoded, batch_size: int, device, shuffle: bool, rng: random.Random):
        lengths = [len(e[0]) + len(e[1]) for e in encoded]
        for indices in bucket_batches(lengths, batch_size, shuffle, rng, self.config.training.bucket):
            yield self.make_batch([encoded[i] for i in indices], device)

    def example_batch(self, vocabs, batch_size: int, device) -> dict:
        generator = torch.Generator().manual_seed(0)
        pairs = []
        for i in range(batch_size):
            source = torch.randint(2, len(vocabs["tokens"]), (max(1, 6 - 2 * (i % 3)),), generator=generator)
            target = torch.randint(4, len(vocabs["target"]), (1 + i % 4,), generator=generator)
            pairs.append((source.tolist(), target.tolist(), ""))
        return self.make_batch(pairs, device)

    # training -----------------------------------------------------------------------------
    def count_tokens(self, batch: dict) -> int:
        return int(batch["target_lengths"].sum())

    @torch.no_grad()
    def loss_per_token(self, model, encoded) -> float:
        model.eval()
        total, count = 0.0, 0
        for indices in bucket_batches([len(e[0]) for e in encoded], self.inference_batch_size, False,
                                      random.Random(0)):
            batch = self.make_batch([encoded[i] for i in indices], model.device)
            logits, _ = model(batch)
            total += F.cross_entropy(logits.reshape(-1, logits.size(-1)).float(), batch["target_out"].reshape(-1),
                                     ignore_index=PAD_ID, reduction="sum").item()
            count += int(batch["target_lengths"].sum())
        return total / max(count, 1)

    def bleu(self, model, encoded, sampler=None) -> float:
        """Corpus BLEU (sacrebleu, default 13a tokenization) of decoded translations against the references."""
        import sacrebleu

        sampler = sampler or choose_sampler()[1]
        decoded = decode(model, [e[0] for e in encoded], sampler)
        target, kind = model.vocabs["target"], self.config.tokenizer.type
        hypotheses = [detokenize(target.decode(sequence.tokens), kind, target) for sequence in decoded]
        return sacrebleu.corpus_bleu(hypotheses, [[e[2] for e in encoded]]).score

    def evaluate_report(self, model, encoded, beam=None, **options) -> dict:
        """`zoo eval`: BLEU of greedy decoding, or of beam search with ``beam`` (width)."""
        sampler = choose_sampler(beam=beam)[1] if beam is not None else None
        report = self.evaluate(model, encoded, sampler)
        return {**report, "decoding": f"beam {beam}" if beam is not None else "greedy"}

    def evaluate(self, model, encoded, sampler=None) -> dict:
        """BLEU (greedy unless ``sampler`` is given), loss in nats per target token, perplexity."""
        loss = self.loss_per_token(model, encoded)
        sample = encoded
        if getattr(encoded, "role", "") == "valid" and len(encoded) > self.config.data.valid_bleu_sentences:
            stride = len(encoded) / self.config.data.valid_bleu_sentences
            sample = [encoded[int(i * stride)] for i in range(self.config.data.valid_bleu_sentences)]
        bleu = self.bleu(model, sample, sampler) if sample else 0.0
        return {"bleu": bleu, "loss": loss, "perplexity": math.exp(min(loss, 700.0))}

    # inference ----------------------------------------------------------------------------
    def predict(self, model, inputs: list[str], attention: bool = False, **options) -> list[dict]:
        """One translation record per sentence; ``attention=True`` adds ``source_tokens`` and the decoder's
        target x source ``attention`` matrix (models with attention)."""
        if attention and model.config.head.attention == "none":
            raise ZooError(f"--attention-png: model '{model.config.architecture}' has no attention "
                           "(head.attention=none); use a model with attention, e.g. gru-attn-seq2seq")
        return Translator(model, **options).translate(inputs, attention=attention)
