"""The lm task: corpus reading and splitting, chunked training with carried state, metrics, tied weights."""
import math

import pytest
import torch

import zoo_core as zoo
from zoo_core.plugin import ConfigError, DataError, DataOptions, Vocab
from zoo_recurrent.corpus import stdlib_sources, write_stdlib_corpus
from zoo_recurrent.lm_task import stream_chunks

TINY = {"embedding__dim": 8, "encoder__hidden_size": 16}
TEXT = "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n" * 20


def char_vocab(text=TEXT) -> Vocab:
    return Vocab(["<pad>", "<unk>", "<s>", *sorted(set(text))])


def task_of(architecture="char-lstm-lm", **overrides):
    model = zoo.create_model(architecture, vocab=char_vocab(), **TINY, **overrides)
    return model, model.task


def test_split_is_first_90_percent_of_tokens_then_last_10(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("abcdefghij" * 100)  # 1,000 characters, plus the start token
    _, task = task_of()
    splits = task.load_splits(DataOptions(path=str(corpus)))
    train, valid = splits.train[0], splits.valid[0]
    assert len(train) == int(1001 * 0.9) and len(valid) == 1001 - int(1001 * 0.9)
    assert train[0] == "<s>" and "".join(train[1:] + valid) == "abcdefghij" * 100


def test_folder_corpus_starts_each_document_with_the_start_token(tmp_path):
    (tmp_path / "a.txt").write_text("hello " * 50)
    (tmp_path / "b.txt").write_text("world " * 50)
    _, task = task_of(data__valid_fraction=0.0)
    train = task.load_splits(DataOptions(path=str(tmp_path))).train[0]
    assert train.count("<s>") == 2 and train[301] == "<s>"


def test_corpus_smaller_than_one_chunk_is_refused(tmp_path):
    corpus = tmp_path / "small.txt"
    corpus.write_text("too short")
    _, task = task_of()
    with pytest.raises(DataError, match="fewer than one chunk"):
        task.load_splits(DataOptions(path=str(corpus)))


def test_non_utf8_corpus_error_names_the_byte_offset(tmp_path):
    corpus = tmp_path / "latin1.txt"
    corpus.write_bytes(b"plain text " * 20 + "caf\u00e9".encode("latin-1"))
    _, task = task_of()
    with pytest.raises(DataError, match=r"byte offset 223"):
        task.load_splits(DataOptions(path=str(corpus)))


def test_chunks_continue_each_stream_where_the_last_one_stopped():
    ids = torch.arange(1, 1001)
    chunks = list(stream_chunks(ids, batch_size=4, chunk_length=32))
    for before, after in zip(chunks, chunks[1:]):
        assert torch.equal(after["tokens"][:, 0], before["targets"][:, -1])
    for chunk in chunks:  # targets are the next token of the same stream
        assert torch.equal(chunk["targets"], chunk["tokens"] + 1)


def test_train_step_is_one_recurrent_call_per_chunk_and_carries_detached_state():
    model, task = task_of()
    vocab = model.vocabs["tokens"]
    ids = torch.tensor(vocab.encode(list(TEXT)))
    calls = []
    model.encoder.forward_rnn.register_forward_hook(lambda *args: calls.append(1))
    model.train()
    batches = list(stream_chunks(ids, batch_size=2, chunk_length=16))[:3]
    carry = None
    for batch in batches:
        loss, carry = task.train_step(model, batch, carry)
        loss.backward()  # would fail ("backward through the graph a second time") if the carry were not detached
    assert len(calls) == len(batches)
    assert carry is not None and carry[0].shape == (1, 2, 16)
    # The carried state is used: the same chunk from a zero state gives another loss.
    with torch.no_grad():
        fresh, _ = task.train_step(model, batches[-1], None)
        carried, _ = task.train_step(model, batches[-1], carry)
    assert not torch.isclose(fresh, carried)


def test_metrics_are_nats_per_token_perplexity_and_bits_per_char():
    model, task = task_of()
    torch.nn.init.zeros_(model.head.output.weight)
    torch.nn.init.zeros_(model.head.output.bias)  # uniform predictions: loss is ln(vocabulary size)
    stream = task.encode([list(TEXT)], model.vocabs)
    metrics = task.evaluate(model, stream)
    size = len(model.vocabs["tokens"])
    assert metrics["loss"] == pytest.approx(math.log(size), rel=1e-5)
    assert metrics["perplexity"] == pytest.approx(size, rel=1e-4)
    assert metrics["bits_per_char"] == pytest.approx(math.log2(size), rel=1e-5)


def test_training_lowers_validation_loss(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(TEXT * 3)
    overrides = {"embedding": {"dim": 16}, "encoder": {"hidden_size": 32}, "data": {"chunk_length": 32},
                 "training": {"epochs": 3, "batch_size": 8, "lr": 0.01}}
    model = zoo.train("char-lstm-lm", str(corpus), progress=False, overrides=overrides)
    uniform = math.log(len(model.vocabs["tokens"]))
    assert model.training_summary["best_metric"] == "valid_loss"
    assert model.training_summary["best_value"] < uniform - 1.0


@pytest.mark.parametrize("architecture,settings", [
    ("word-lstm-lm", {"embedding__dim": 16, "encoder__hidden_size": 16}),  # tied directly
    ("char-gru-lm", {"embedding__dim": 8, "encoder__hidden_size": 16, "head__tie_weights": True}),  # via a projection
])
def test_tied_weights_survive_save_and_load(tmp_path, architecture, settings):
    model = zoo.create_model(architecture, vocab=char_vocab(), **settings)
    assert model.head.output.weight is model.embedding.weight
    path = model.save(tmp_path / "tied.safetensors")
    loaded = zoo.load(str(path))
    assert loaded.head.output.weight is loaded.embedding.weight
    assert torch.equal(loaded.embedding.weight, model.embedding.weight)
    tokens = torch.tensor([[3, 4, 5, 6]])
    batch = {"tokens": tokens, "lengths": torch.tensor([4])}
    model.eval()
    assert torch.allclose(loaded(batch)[0], model(batch)[0])


def test_bidirectional_language_model_is_refused():
    with pytest.raises(ConfigError, match="left to right"):
        zoo.create_model("char-lstm-lm", vocab=char_vocab(), encoder__bidirectional=True, **TINY)


def test_embedded_default_corpus_is_the_standard_library_source(tmp_path):
    path = write_stdlib_corpus(tmp_path)
    text = path.read_text(encoding="utf-8")
    assert 1_000_000 < len(text) < 3_100_000 and text.isascii()
    assert "def " in text and "import " in text
    before = path.stat().st_mtime_ns
    assert write_stdlib_corpus(tmp_path) == path and path.stat().st_mtime_ns == before  # written once
    assert stdlib_sources() == stdlib_sources()  # the same selection every time
    _, task = task_of()
    assert task.default_data(tmp_path) == str(path)
