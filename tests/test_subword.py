"""Subword tokenizers (tokenizer.type = bpe | unigram, zoo_core/data/subword.py): trained on the training split,
kept in the model file as the tokenizers library's JSON, loaded back without the data; classify, lm, seq2seq."""
import json
import sys

import pytest
import torch

import zoo_core
import zoo_core as zoo
from zoo_core.data.subword import SubwordVocab
from zoo_core.data.vocab import UNK, Vocab, tokenize
from zoo_core.errors import ConfigError
from zoo_core.io.artifacts import read_metadata
from zoo_core.io.store import model_path
from zoo_seq2seq.synthetic import write_number_pairs
from zoo_seq2seq.translate import Translator

SEQ2SEQ = {"embedding": {"dim": 16}, "encoder": {"hidden_size": 16}, "training": {"epochs": 1, "batch_size": 16},
           "head": {"hidden_size": 16, "embedding_dim": 12, "attention_dim": 12}}


@pytest.fixture(scope="module")
def digits_to_words(tmp_path_factory):
    """Digits ("4 0 2") to English number words: the target side has ~30 distinct words."""
    return write_number_pairs(tmp_path_factory.mktemp("pairs"), n=150, largest=999)


def train_seq2seq(data, tokenizer, out=None):
    return zoo.train("gru-attn-seq2seq", str(data), out=out, overrides={**SEQ2SEQ, "tokenizer": tokenizer},
                     progress=False, text_field="1", label_field="0")


def test_a_bpe_model_round_trips_through_save_and_load_with_identical_outputs(digits_to_words, tmp_path):
    data = tmp_path / "pairs.tsv"
    data.write_bytes(digits_to_words.read_bytes())
    model = train_seq2seq(data, {"type": "bpe", "vocab_size": 40}, out="bpe-mt")
    data.unlink()  # loading needs no training data: the tokenizers are in the file
    loaded = zoo.load("bpe-mt")
    for side in ("tokens", "target"):
        assert isinstance(loaded.vocabs[side], SubwordVocab)
        assert loaded.vocabs[side].tokens == model.vocabs[side].tokens
        assert loaded.vocabs[side].tokenize("9 0 7") == model.vocabs[side].tokenize("9 0 7")
    stored = json.loads(read_metadata(model_path("bpe-mt"))["zoo.tokenizers"])
    assert json.loads(stored["target"]["json"])["model"]["type"] == "BPE"  # the library's own JSON
    assert len(model.vocabs["target"]) == 40  # vocab_size counts the specials
    sentences = ["1 2 3", "9 0 7", "4 4"]
    assert loaded.predict(sentences, beam=3) == model.predict(sentences, beam=3)
    batch = model.task.make_batch(model.task.encode(model.task.read(str(digits_to_words), zoo.workflows.data_options(
        str(digits_to_words), text_field="1", label_field="0"))[:8], model.vocabs), "cpu")
    with torch.no_grad():
        assert torch.equal(model.eval()(batch)[0], loaded(batch)[0])


def test_a_seq2seq_output_has_no_unk_for_words_outside_a_word_vocabulary(digits_to_words):
    # A word vocabulary of 12 keeps 8 target words: most references hold words it cannot say.
    word_vocab = Vocab.build((tokenize(line.split("\t")[0]) for line in digits_to_words.read_text().splitlines()),
                             max_size=12, specials=("<pad>", "<unk>", "<s>", "</s>"))
    outside = [w for line in digits_to_words.read_text().splitlines() for w in tokenize(line.split("\t")[0])
               if w not in word_vocab]
    assert len(set(outside)) > 10
    model = train_seq2seq(digits_to_words, {"type": "bpe", "vocab_size": 60})
    records = Translator(model, beam=2).translate(["1 2 3", "7 1 9", "8 1 6", "5 5 5", "4 0 2"])
    for record in records:
        assert UNK not in record["tokens"] and "<unk>" not in record["prediction"]
        assert record["prediction"].strip()


def test_a_unigram_classifier_trains_saves_and_loads(sentiment_dir):
    model = zoo.train("lstm-classifier", str(sentiment_dir), out="unigram-clf", progress=False,
                      overrides={"tokenizer": {"type": "unigram", "vocab_size": 120}, "embedding": {"dim": 16},
                                 "encoder": {"hidden_size": 16}, "training": {"epochs": 1}})
    assert model.vocabs["tokens"].kind == "unigram"
    loaded = zoo.load("unigram-clf")
    texts = ["a wonderful gripping film", "dull and tedious plot"]
    assert loaded.predict_proba(texts) == model.predict_proba(texts)
    assert model.task.tokens("wonderful")[0].startswith("▁")


def test_a_bpe_language_model_generates_the_same_text_after_loading(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("the cat sat on the mat .\nthe dog sat on the log .\n" * 40)
    model = zoo.train("word-lstm-lm", str(corpus), out="bpe-lm", progress=False,
                      overrides={"tokenizer": {"type": "bpe", "vocab_size": 30}, "embedding": {"dim": 16},
                                 "encoder": {"hidden_size": 16, "num_layers": 1}, "data": {"chunk_length": 8},
                                 "training": {"epochs": 1}})
    pieces = [token.text for token in model.task.generate(model, "the cat", max_tokens=6, seed=3)]
    text = "".join(pieces)
    assert "▁" not in text  # a word's first piece shows as a space
    assert "".join(zoo.load("bpe-lm").generate("the cat", max_tokens=6, seed=3)) == text


def test_without_the_extra_the_error_is_one_line_naming_it(sentiment_dir, monkeypatch):
    monkeypatch.setitem(sys.modules, "tokenizers", None)  # import tokenizers now raises ImportError
    with pytest.raises(ConfigError) as error:
        zoo.train("lstm-classifier", str(sentiment_dir), progress=False,
                  overrides={"tokenizer": {"type": "bpe"}, "training": {"epochs": 1}})
    assert "\n" not in str(error.value)
    assert "pip install 'zoo-core[subword]'" in str(error.value)


def test_a_tagger_refuses_subwords_in_one_line():
    with pytest.raises(ConfigError, match=r"tokenizer.type bpe: the tag task tags whole words"):
        zoo.create_model("bilstm-tagger", tokenizer__type="bpe", vocabs={"labels": Vocab(["O"])})


@pytest.mark.parametrize("architecture, data_kind", [("gru-attn-seq2seq", "pairs"), ("lstm-classifier", "texts"),
                                                     ("word-lstm-lm", "corpus")])
def test_the_training_data_is_encoded_with_the_subword_tokenizer_just_learnt(architecture, data_kind, digits_to_words,
                                                                             sentiment_dir, tmp_path):
    """As `zoo train` does it: vocabularies, then encoding, then the model (a task must not wait for the model)."""
    config = zoo.get_config(architecture, tokenizer__type="bpe", tokenizer__vocab_size=40)
    task = zoo_core.extension.registry.get_registry().task(config.task).load()(config)
    if data_kind == "corpus":
        (tmp_path / "corpus.txt").write_text("the cat sat on the mat .\n" * 30)
        path, options = str(tmp_path / "corpus.txt"), {}
    else:
        path = str(digits_to_words if data_kind == "pairs" else sentiment_dir)
        options = {"text_field": "1", "label_field": "0"} if data_kind == "pairs" else {}
    splits = task.load_splits(zoo_core.workflows.data_options(path, **options))
    vocabs = task.build_vocabs(splits.train)
    encoded = task.encode(splits.train, vocabs)
    if data_kind == "pairs":
        first, pair = encoded[0], splits.train[0]
        assert vocabs["target"].decode(first[1]) == vocabs["target"].tokenize(pair.target)
        assert vocabs["tokens"].decode(first[0]) == vocabs["tokens"].tokenize(pair.source)
    elif data_kind == "texts":
        assert vocabs["tokens"].decode(encoded[0][0]) == vocabs["tokens"].tokenize(splits.train[0].text)
    else:
        assert vocabs["tokens"].decode(encoded.ids[1:4].tolist()) == vocabs["tokens"].tokenize("the cat sat")[:3]



def test_a_bpe_classifier_exported_to_onnx_tokenises_as_the_torch_model(sentiment_dir, tmp_path):
    """The ONNX runner rebuilds each vocabulary of its kind: a BPE model must not fall back to word splitting."""
    from click.testing import CliRunner

    from zoo_core.cli import main

    model = zoo.train("lstm-classifier", str(sentiment_dir), out="bpe-clf", progress=False,
                      overrides={"tokenizer": {"type": "bpe", "vocab_size": 120}, "embedding": {"dim": 16},
                                 "encoder": {"hidden_size": 16}, "training": {"epochs": 1}})
    out = tmp_path / "bpe-clf.onnx"
    result = CliRunner().invoke(main, ["export", "bpe-clf", "--format", "onnx", "--out", str(out)])
    assert result.exit_code == 0, result.output
    exported = zoo.load(str(out))
    assert exported.vocabs["tokens"].kind == "bpe"
    texts = ["a wonderful gripping film", "dull and tedious plot , unwatchable"]
    assert exported.predict(texts) == model.predict(texts)
    for ours, theirs in zip(exported.predict_proba(texts), model.predict_proba(texts)):
        assert all(abs(ours[label] - theirs[label]) < 1e-5 for label in theirs)
