"""Text classification: texts with labels in, a label and its probability out."""
from __future__ import annotations

import random
from functools import partial
from pathlib import Path
from typing import Sequence

import torch

from zoo_core.data.readers import Splits, read_classification, rule_split, split_examples
from zoo_core.data.streaming import EncodedStream, StreamedExamples, bounded_counts, shuffle_buffer, windows
from zoo_core.data.subword import SubwordVocab, is_subword, train_subword_vocab
from zoo_core.data.synthetic import write_sentiment_files
from zoo_core.data.vocab import PAD, UNK, Vocab, tokenize
from zoo_core.errors import DataError
from zoo_core.modeling.batching import BUCKET_BATCHES, bucket_batches, pad
from zoo_core.tasks.base import DataOptions, TaskAbilities, TaskRunner, require_split
from zoo_core.tasks.explain import attention_weights, require_attention
from zoo_core.tasks.metrics import accuracy, macro_f1, per_class_scores

EVAL_WINDOW = 8192  # examples of a stream scored at once


class ClassifyTask(TaskRunner):
    name = "classify"
    primary_metric = "accuracy"
    abilities = TaskAbilities(streaming_data=True, token_weights=True)
    run_options = frozenset({"explain"})

    def default_data(self, directory: Path) -> str:
        return str(write_sentiment_files(directory / "synthetic-sentiment", n=6000, seed=13))

    def load_splits(self, options: DataOptions) -> Splits:
        def read(path):
            return read_classification(path, format=options.format, text_field=options.text_field or "text",
                                       label_field=options.label_field or "label")

        if self.config.training.stream:
            return self.stream_splits(options)
        examples = read(options.path)
        valid = read(options.valid) if options.valid else None
        test = read(options.test) if options.test else None
        split = split_examples(examples, valid=valid, test=test)
        if not split.train:
            raise DataError(f"{options.path}: no training examples after splitting; give more data")
        return Splits(split.train, split.valid if valid is None else valid, split.test if test is None else test)

    def load_eval(self, options: DataOptions) -> list:
        """`zoo eval`: every example of the file, in file order; ``--split`` keeps the split rule's share."""
        examples = read_classification(options.path, format=options.format, text_field=options.text_field or "text",
                                       label_field=options.label_field or "label")
        if not options.split:
            return examples
        return require_split([e for e in examples if rule_split(e.index) == options.split], options)

    def stream_splits(self, options: DataOptions) -> Splits:
        """Splits that read the file lazily on each pass (training.stream): the same split rule, by index."""
        def stream(path, split=None):
            return StreamedExamples(str(path), options.format, options.text_field or "text",
                                    options.label_field or "label", split, bool(options.valid), bool(options.test))

        return Splits(stream(options.path, "train"),
                      stream(options.valid) if options.valid else stream(options.path, "valid"),
                      stream(options.test) if options.test else stream(options.path, "test"))

    subword = None  # a SubwordVocab once trained or loaded (tokenizer.type bpe, unigram)

    def use_vocabs(self, vocabs):
        self.subword = vocabs["tokens"] if isinstance(vocabs["tokens"], SubwordVocab) else None

    def tokens(self, text: str) -> list[str]:
        tokenizer = self.config.tokenizer
        if self.subword is not None:
            return self.subword.tokenize(text)[: self.config.data.max_length]
        return tokenize(text, tokenizer.type, tokenizer.lowercase)[: self.config.data.max_length]

    def build_vocabs(self, train: Sequence) -> dict[str, Vocab]:
        vocabs = self.vocabs_of(train)
        labels = vocabs["labels"].tokens
        if len(labels) == 1:  # it would train, and score 1.0, on nothing to learn
            where = getattr(train, "path", None) or next(iter(train)).source
            raise DataError(f"{where}: every training example has the label {labels[0]!r}; a classifier needs at "
                            "least two classes (check --label-field, or add examples of the other classes)")
        return vocabs

    def vocabs_of(self, train: Sequence) -> dict[str, Vocab]:
        tokenizer = self.config.tokenizer
        if is_subword(tokenizer):  # learnt from the training split's text, one pass (streams too)
            labels: set = set()

            def texts():
                for example in train:
                    labels.add(example.label)
                    yield example.text

            self.subword = train_subword_vocab(texts(), tokenizer, (PAD, UNK))
            return {"tokens": self.subword, "labels": Vocab.of_labels(labels)}
        if isinstance(train, StreamedExamples):  # one pass, bounded memory
            labels: set = set()

            def token_lists():
                for example in train:
                    labels.add(example.label)
                    yield self.tokens(example.text)

            counts = bounded_counts(token_lists(), tokenizer.max_size)
            if not labels:
                raise DataError(f"{train.path}: no training examples after splitting; give more data")
            return {"tokens": Vocab.from_counts(counts, tokenizer.min_freq, tokenizer.max_size),
                    "labels": Vocab.of_labels(labels)}
        return {
            "tokens": Vocab.build((self.tokens(e.text) for e in train), tokenizer.min_freq, tokenizer.max_size),
            "labels": Vocab.of_labels(e.label for e in train),
        }

    def head_context(self, vocabs):
        return {"num_labels": len(vocabs["labels"])}

    def example_batch(self, vocabs, batch_size, device):
        generator = torch.Generator().manual_seed(0)
        lengths = [max(1, 6 - 2 * (i % 3)) for i in range(batch_size)]  # 6, 4, 2, ...: some rows padded
        ids = [torch.randint(2, len(vocabs["tokens"]), (n,), generator=generator).tolist() for n in lengths]
        tokens, lengths = pad(ids, device)
        labels = torch.randint(0, len(vocabs["labels"]), (batch_size,), generator=generator).to(device)
        return {"tokens": tokens, "lengths": lengths, "labels": labels}

    def encode(self, examples: Sequence, vocabs) -> list[tuple[list[int], int]]:
        if isinstance(examples, StreamedExamples):
            return EncodedStream(examples, partial(self.encode_example, vocabs=vocabs))
        return [self.encode_example(example, vocabs) for example in examples]

    def encode_example(self, example, vocabs) -> tuple[list[int], int]:
        labels = vocabs["labels"]
        if example.label not in labels:
            raise DataError(
                f"{example.source}: label '{example.label}' was not in the training data "
                f"(known: {', '.join(labels.tokens)}); fix the label or retrain with it"
            )
        ids = vocabs["tokens"].encode(self.tokens(example.text)) or [vocabs["tokens"].id("<unk>")]
        return ids, labels.index[example.label]

    def batches(self, encoded, batch_size, device, shuffle, rng: random.Random):
        bucket = self.config.training.bucket
        if isinstance(encoded, EncodedStream):  # length buckets within each window of the shuffle buffer
            examples = shuffle_buffer(encoded, self.config.training.shuffle_buffer, rng) if shuffle else iter(encoded)
            for window in windows(examples, batch_size * BUCKET_BATCHES):
                yield from self.batches(window, batch_size, device, shuffle, rng)
            return
        for indices in bucket_batches([len(e[0]) for e in encoded], batch_size, shuffle, rng, bucket):
            tokens, lengths = pad([encoded[i][0] for i in indices], device)
            labels = torch.tensor([encoded[i][1] for i in indices], dtype=torch.long, device=device)
            yield {"tokens": tokens, "lengths": lengths, "labels": labels}

    def num_batches(self, encoded, batch_size):
        return None if isinstance(encoded, EncodedStream) else super().num_batches(encoded, batch_size)

    @torch.no_grad()
    def logits(self, model, encoded) -> tuple[torch.Tensor, list[int]]:
        model.eval()
        outputs, order = [], []
        batches = bucket_batches([len(e[0]) for e in encoded], self.inference_batch_size, False, random.Random(0))
        for indices in batches:
            tokens, lengths = pad([encoded[i][0] for i in indices], model.device)
            logits, _ = model({"tokens": tokens, "lengths": lengths})
            outputs.append(logits.float().cpu())
            order.extend(indices)
        logits = torch.cat(outputs) if outputs else torch.empty(0, len(model.vocabs["labels"]))
        restored = torch.empty_like(logits)
        restored[torch.tensor(order, dtype=torch.long)] = logits
        return restored, order

    def evaluate(self, model, encoded) -> dict:
        metrics, _, _ = self.scores(model, encoded)
        return metrics

    def evaluate_report(self, model, encoded, **options) -> dict:
        """evaluate's metrics plus each class's precision, recall, F1 and support (``per_class``)."""
        metrics, gold, predicted = self.scores(model, encoded)
        return {**metrics, "per_class": per_class_scores(gold, predicted, model.vocabs["labels"].tokens)}

    def scores(self, model, encoded) -> tuple[dict, list[int], list[int]]:
        gold, predicted, loss_sum = [], [], 0.0
        # A stream is scored a window at a time, so only its labels are held.
        for part in windows(encoded, EVAL_WINDOW) if isinstance(encoded, EncodedStream) else [encoded]:
            logits, _ = self.logits(model, part)
            labels = [label for _, label in part]
            if labels:
                loss_sum += torch.nn.functional.cross_entropy(logits, torch.tensor(labels), reduction="sum").item()
            gold += labels
            predicted += logits.argmax(-1).tolist()
        loss = loss_sum / len(gold) if gold else 0.0
        return ({"accuracy": accuracy(gold, predicted), "macro_f1": macro_f1(gold, predicted), "loss": loss},
                gold, predicted)

    def predict(self, model, inputs: list[str], explain: bool = False) -> list[dict]:
        """Label and per-label probabilities for each text; ``explain=True`` adds the ``tokens`` the model read
        and the attention pooler's ``weights`` on them (models that pool with attention)."""
        if explain:
            require_attention(model)
        vocab, labels = model.vocabs["tokens"], model.vocabs["labels"]
        encoded = [(vocab.encode(self.tokens(text)) or [vocab.id("<unk>")], 0) for text in inputs]
        logits, _ = self.logits(model, encoded)
        probabilities = logits.softmax(-1).tolist()
        results = []
        for text, probs in zip(inputs, probabilities):
            best = max(range(len(probs)), key=probs.__getitem__)
            results.append({
                "input": text,
                "prediction": labels.tokens[best],
                "probabilities": {label: round(p, 6) for label, p in zip(labels.tokens, probs)},
            })
        if explain:
            for result, (words, weights) in zip(results, attention_weights(model, inputs)):
                result["tokens"] = words
                result["weights"] = [round(w, 6) for w in weights]
        return results
