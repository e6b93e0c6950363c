"""The tag task: CoNLL / CoNLL-U sentences in, one tag per word out (POS, chunks, entities)."""
from __future__ import annotations

import random
import re
import sys
from collections import Counter
from dataclasses import dataclass
from typing import Optional, Sequence

import torch

from zoo_bidirectional.chars import CharCNN, clip_word, pad_chars
from zoo_bidirectional.readers import TaggedSentence, read_tagged
from zoo_bidirectional.spans import convert_tags, detect_scheme, is_span_scheme, span_scores, spans, token_accuracy
from zoo_bidirectional.tag_head import IGNORE
from zoo_bidirectional.word_features import WordFeatures
from zoo_core.plugin import (
    UNK_ID,
    ConfigError,
    ContextualStringEmbeddings,
    DataError,
    DataOptions,
    Splits,
    TaskAbilities,
    TaskRunner,
    Vocab,
    bucket_batches,
    contextual_vocabs,
    load_char_lms,
    pad,
)

# Words and numbers stay whole ("3.5", "don't" -> "do", "n't" is left to the data); other punctuation splits off.
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|\w+(?:[-']\w+)*|\S")


def split_words(text: str, tokenized: bool = False) -> list[str]:
    """`zoo run` input: words and punctuation; with ``tokenized`` (or when the text holds tabs) the
    tab-separated tokens as given, so a line without a tab is one token. Empty tokens (a trailing tab) are
    dropped."""
    if tokenized or "\t" in text:
        return [token for token in text.split("\t") if token.strip()]
    return _TOKEN.findall(text)


@dataclass
class EncodedSentence:
    words: list[int]
    chars: list[list[int]]
    tags: list[int]
    gold: tuple[str, ...]
    text: tuple[str, ...] = ()  # the words as written (contextual embeddings read them)


class TagTask(TaskRunner):
    name = "tag"
    abilities = TaskAbilities(contextual_embeddings=True)
    run_options = frozenset({"tokenized"})

    def __init__(self, config):
        super().__init__(config)
        if config.tokenizer.type in ("bpe", "unigram"):  # one tag per word: words are not split further
            raise ConfigError(f"tokenizer.type {config.tokenizer.type}: the tag task tags whole words (the "
                              "char-CNN reads their characters); set tokenizer.type=word")
        self.span_tags = False  # known once the tag vocabulary is (use_vocabs)
        self.char_lms: list = []  # the loaded char LMs of embedding.contextual, while training

    @property
    def primary_metric(self) -> str:
        return "f1" if self.span_tags else "accuracy"

    # data ---------------------------------------------------------------------------------
    def _columns(self, options: DataOptions) -> None:
        """--text-field / --label-field choose the columns; the model keeps them for `zoo eval`."""
        data = self.config.data
        for flag, value, field in (("--text-field", options.text_field, "token_column"),
                                   ("--label-field", options.label_field, "tag_column")):
            if value is None:
                continue
            named = {"form": 1, "lemma": 2, "upos": 3, "xpos": 4}
            if str(value).lower() in named:
                setattr(data, field, named[str(value).lower()])
            elif re.fullmatch(r"-?\d+", str(value)):
                setattr(data, field, int(value))
            else:
                raise DataError(f"{flag} {value}: give a 0-based column number (CoNLL-U: also form, upos or xpos)")
        if options.format:
            if options.format not in ("conll", "conllu"):
                raise DataError(f"--format {options.format}: the tag task reads conll or conllu files")
            data.format = options.format

    def read(self, path) -> list[TaggedSentence]:
        data = self.config.data
        return read_tagged(path, data.format, data.token_column, data.tag_column)

    def load_splits(self, options: DataOptions) -> Splits:
        self._columns(options)
        sentences = self.read(options.path)
        if options.valid:
            train, valid = sentences, self.read(options.valid)
        else:  # the data README's rule: sentence i with i % 10 == 9 is held out
            train = [s for i, s in enumerate(sentences) if i % 10 != 9]
            valid = [s for i, s in enumerate(sentences) if i % 10 == 9]
        if not train:
            raise DataError(f"{options.path}: no training sentences; give a CoNLL or CoNLL-U file with some")
        self.resolve_schemes(train, options.path)
        return Splits(train, valid, self.read(options.test) if options.test else [])

    def load_eval(self, options: DataOptions) -> list:
        """`zoo eval`: every sentence of --data; ``--split valid`` or ``train`` keeps the rule's share (CoNLL files
        come as separate train and test files, so the rule holds out no test split)."""
        self._columns(options)
        sentences = self.read(options.path)
        if not options.split:
            return sentences
        if options.split == "test":
            raise DataError(f"--split test: the tag task's split rule holds out only a validation split "
                            f"(sentence i with i % 10 == 9); give the test file to --data, or use --split valid")
        held_out = options.split == "valid"
        chosen = [s for i, s in enumerate(sentences) if (i % 10 == 9) == held_out]
        if not chosen:
            raise DataError(f"{options.path}: the split rule puts no sentences in the {options.split} split; "
                            "leave out --split to score every sentence")
        return chosen

    def resolve_schemes(self, train: Sequence[TaggedSentence], path) -> None:
        """Fix data.tag_scheme (detected when auto) and data.train_scheme from the training tags; the model
        keeps both, so `zoo run` and `zoo eval` give tags back in the data's scheme."""
        data = self.config.data
        found = detect_scheme(s.tags for s in train)
        if found is None:  # not span tags (POS): learnt and given back as they are
            if data.tag_scheme != "auto" or data.train_scheme != "auto":
                raise DataError(f"{path}: data.tag_scheme / data.train_scheme: the tags do not mark spans "
                                "(B-/I-/E-/S- and O); leave both at auto")
            return
        if data.tag_scheme == "auto":
            data.tag_scheme = found
        if data.train_scheme == "auto":
            crf = bool(getattr(self.config.head, "crf", False))
            data.train_scheme = "iobes" if crf else "bio" if data.tag_scheme == "iob1" else data.tag_scheme
        if data.train_scheme != data.tag_scheme:
            print(f"zoo: note: {path}: tags read as {data.tag_scheme.upper()} (data.tag_scheme); the model learns "
                  f"{data.train_scheme.upper()} (data.train_scheme) and gives tags and scores back in "
                  f"{data.tag_scheme.upper()}", file=sys.stderr)

    def to_training(self, tags: Sequence[str]) -> list[str]:
        """Tags in the data's scheme as the model learns them (the same when no conversion is set)."""
        data = self.config.data
        if data.tag_scheme == "auto" or data.train_scheme in ("auto", data.tag_scheme):
            return list(tags)
        return convert_tags(tags, data.tag_scheme, data.train_scheme)

    def to_data(self, tags: Sequence[str]) -> list[str]:
        """The model's tags written back in the data's scheme."""
        data = self.config.data
        if data.tag_scheme == "auto" or data.train_scheme in ("auto", data.tag_scheme):
            return list(tags)
        return convert_tags(tags, data.train_scheme, data.tag_scheme)

    def words(self, tokens: Sequence[str]) -> Sequence[str]:
        """The tokens as the word vocabulary keys them (tokenizer.lowercase); one comprehension, not a call a
        token: that was a third of predict's Python time on long sentences."""
        return [t.lower() for t in tokens] if self.config.tokenizer.lowercase else tokens

    def build_vocabs(self, train: Sequence[TaggedSentence]) -> dict[str, Vocab]:
        tokenizer = self.config.tokenizer
        vocabs = {
            "tokens": Vocab.build((self.words(s.tokens) for s in train), tokenizer.min_freq,
                                  tokenizer.max_size),
            "labels": Vocab.of_labels(tag for s in train for tag in self.to_training(s.tags)),
            "chars": Vocab.build(token for s in train for token in s.tokens),
        }
        if self.config.embedding.contextual:  # their characters and configs; weights follow in token_features
            lm_vocabs, self.char_lms = load_char_lms(self.config.embedding.contextual)
            vocabs.update(lm_vocabs)
        return vocabs

    def use_vocabs(self, vocabs):
        self.span_tags = is_span_scheme(vocabs["labels"].tokens)

    def head_context(self, vocabs):
        # The labels and their scheme let a CRF forbid impossible transitions (I- after O in BIO/IOBES).
        return {"num_labels": len(vocabs["labels"]), "labels": vocabs["labels"].tokens,
                "scheme": self.config.data.train_scheme}

    def token_features(self, vocabs):
        chars = self.config.data.chars
        cnn = CharCNN(chars, len(vocabs["chars"])) if chars.dim and "chars" in vocabs else None
        lms = contextual_vocabs(vocabs)
        if not lms:
            return cnn
        contextual = ContextualStringEmbeddings(lms)
        if self.char_lms:  # training: start from the saved LMs (a loaded model has their weights in its file)
            # Kept, not consumed: the memory guard builds the model once on the meta device before the real build.
            contextual.copy_from(self.char_lms)
        return WordFeatures(cnn, contextual)

    def encode_words(self, tokens: Sequence[str], vocabs) -> tuple[list[int], list[list[int]]]:
        words = vocabs["tokens"].encode(self.words(tokens))
        limit = self.config.data.chars.max_word_length
        chars = [clip_word(vocabs["chars"].encode(t), limit) for t in tokens] if "chars" in vocabs else []
        return words, chars

    def encode(self, examples: Sequence[TaggedSentence], vocabs) -> list[EncodedSentence]:
        labels, unknown, encoded = vocabs["labels"], Counter(), []
        for sentence in examples:
            words, chars = self.encode_words(sentence.tokens, vocabs)
            learnt = self.to_training(sentence.tags)
            tags = [labels.index.get(tag, IGNORE) for tag in learnt]
            unknown.update(tag for tag, seen in zip(sentence.tags, learnt) if seen not in labels.index)
            encoded.append(EncodedSentence(words, chars, tags, sentence.tags, tuple(sentence.tokens)))
        if unknown:
            listed = ", ".join(f"{tag} ({n})" for tag, n in unknown.most_common(5))
            print(f"zoo: warning: {sum(unknown.values())} tokens have tags the model never saw in training: "
                  f"{listed}; they count as wrong", file=sys.stderr)
        return encoded

    def _batch(self, sentences: list[EncodedSentence], device, word_dropout: float = 0.0, generator=None) -> dict:
        tokens, lengths = pad([s.words for s in sentences], device)
        if word_dropout:
            drop = torch.rand(tokens.shape, generator=generator).to(device) < word_dropout
            tokens = torch.where(drop & (tokens != 0), torch.full_like(tokens, UNK_ID), tokens)
        batch = {"tokens": tokens, "lengths": lengths}
        tags, _ = pad([s.tags for s in sentences], device, pad_id=IGNORE)
        batch["tags"] = tags
        if self.config.data.chars.dim:
            batch["chars"] = pad_chars([s.chars for s in sentences], tokens.size(1), device)
        batch["sentences"] = [s.text for s in sentences]
        return batch

    def batches(self, encoded, batch_size, device, shuffle, rng: random.Random):
        generator = torch.Generator().manual_seed(rng.randrange(2**31))
        dropout = self.config.data.word_dropout if shuffle else 0.0
        for indices in bucket_batches([len(s.words) for s in encoded], batch_size, shuffle, rng,
                                      self.config.training.bucket):
            yield self._batch([encoded[i] for i in indices], device, dropout, generator)

    def example_batch(self, vocabs, batch_size, device):
        generator = torch.Generator().manual_seed(0)
        sentences = []
        for i in range(batch_size):
            n = max(1, 6 - 2 * (i % 3))
            words = torch.randint(2, len(vocabs["tokens"]), (n,), generator=generator).tolist()
            chars = [torch.randint(2, max(3, len(vocabs.get("chars", ()))), (1 + j % 4,), generator=generator).tolist()
                     for j in range(n)]
            tags = torch.randint(0, len(vocabs["labels"]), (n,), generator=generator).tolist()
            sentences.append(EncodedSentence(words, chars, tags, (), tuple(f"w{j}" for j in range(n))))
        return self._batch(sentences, device)

    # evaluation and inference ---------------------------------------------------------------
    @torch.no_grad()
    def tag_ids(self, model, encoded: list[EncodedSentence]) -> list[list[int]]:
        model.eval()
        predicted: list[Optional[list[int]]] = [None] * len(encoded)
        for indices in bucket_batches([len(s.words) for s in encoded], self.inference_batch_size, False,
                                      random.Random(0)):
            batch = self._batch([encoded[i] for i in indices], model.device)
            logits, _ = model(batch)
            for i, row in zip(indices, model.head.decode(logits, batch["lengths"])):
                predicted[i] = row
        return predicted

    def evaluate(self, model, encoded) -> dict:
        """Token accuracy; with span tags (BIO, IOB1, IOBES) also conlleval's precision, recall and F1."""
        report = self.evaluate_report(model, encoded)
        return {k: v for k, v in report.items() if not isinstance(v, dict) and not (k == "unknown_tags" and v == 0)}

    def evaluate_report(self, model, encoded, **options) -> dict:
        """evaluate's metrics, plus per-type span scores and the gold tags the model never saw."""
        labels = model.vocabs["labels"].tokens
        predicted = [self.to_data([labels[i] for i in row]) for row in self.tag_ids(model, encoded)]
        gold = [list(s.gold) for s in encoded]  # scored in the data's own scheme
        unknown = Counter(tag for s in encoded for tag, learnt in zip(s.gold, self.to_training(s.gold))
                          if learnt not in model.vocabs["labels"])  # named as the data writes them
        metrics: dict = {"accuracy": token_accuracy(gold, predicted)}
        if is_span_scheme(labels):
            metrics.update(span_scores(gold, predicted))
        metrics["unknown_tags"] = sum(unknown.values())
        if unknown:
            metrics["unknown_tag_names"] = dict(unknown.most_common())
        return metrics

    def predict(self, model, inputs: list[str], tokenized: bool = False) -> list[dict]:
        """Tags (and spans) for each sentence; ``tokenized=True``: each input is its tab-separated tokens."""
        sentences = []
        for number, text in enumerate(inputs, 1):
            tokens = split_words(text, tokenized)
            if not tokens:
                raise DataError(f"input {number} is an empty sentence; give at least one word "
                                "(with '-', one sentence a line and no blank lines)")
            sentences.append(tokens)
        encoded = [EncodedSentence(*self.encode_words(tokens, model.vocabs), [], (), tuple(tokens))
                   for tokens in sentences]
        labels = model.vocabs["labels"].tokens
        results = []
        for text, tokens, row in zip(inputs, sentences, self.tag_ids(model, encoded)):
            tags = self.to_data([labels[i] for i in row])
            result = {"input": text, "tokens": tokens, "prediction": tags}
            if self.span_tags:
                result["spans"] = [{"type": kind, "start": first, "end": last + 1,
                                    "text": " ".join(tokens[first:last + 1])} for kind, first, last in spans(tags)]
            results.append(result)
        return results
