"""A language-model corpus read as a stream (--stream): every token once, rows that follow the text."""
import math
import random

import pytest
import torch

import zoo_core as zoo
from zoo_core.plugin import BOS, DataError, Vocab, tokenize
from zoo_recurrent import corpus_stream
from zoo_recurrent.corpus_stream import CorpusStream, streamed_chunks


def mixed_text(seed=0, words=3000) -> str:
    """Words of varied length with multi-byte characters, so region edges fall inside both."""
    rng = random.Random(seed)
    alphabet = "abcdefghijklmnopqrstuvwxyzéèçœ→"
    return " ".join("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12))) + ("\n" if rng.random() < 0.1 else "")
                    for _ in range(words))


@pytest.mark.parametrize("kind", ["word", "char"])
@pytest.mark.parametrize("regions", [1, 3, 7, 16])
def test_regions_read_every_token_exactly_once(tmp_path, monkeypatch, kind, regions):
    monkeypatch.setattr(corpus_stream, "BLOCK_BYTES", 97)  # many blocks per region
    text = mixed_text()
    path = tmp_path / "corpus.txt"
    path.write_text(text, encoding="utf-8")
    stream = CorpusStream.of_file(path, lambda t: tokenize(t, kind), whole_words=kind == "word")
    read = [token for start, end in stream.regions(regions) for piece in stream.texts(start, end)
            for token in tokenize(piece, kind)]
    assert read == tokenize(text, kind)


def test_chunks_continue_each_row_and_shift_targets(tmp_path):
    text = mixed_text(1, 800)
    path = tmp_path / "corpus.txt"
    path.write_text(text, encoding="utf-8")
    vocab = Vocab(["<pad>", "<unk>", BOS, *sorted(set(text))])
    stream = CorpusStream.of_file(path, lambda t: tokenize(t, "char"), whole_words=False).with_vocab(vocab)
    chunks = list(streamed_chunks(stream, batch_size=4, chunk_length=10, device="cpu"))
    assert len(chunks) > 5
    for before, after in zip(chunks, chunks[1:]):
        assert torch.equal(after["tokens"][:, 0], before["targets"][:, -1])  # each row reads on where it stopped
    for chunk in chunks:
        assert torch.equal(chunk["tokens"][:, 1:], chunk["targets"][:, :-1])
    first_row = torch.cat([chunks[0]["tokens"][0, :1]] + [c["targets"][0] for c in chunks]).tolist()
    assert vocab.decode(first_row)[0] == BOS and "".join(vocab.decode(first_row[1:])) == text.lower()[:len(first_row) - 1]


def test_two_processes_split_the_rows_of_one_global_batch(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text(mixed_text(2, 6000), encoding="utf-8")
    model = zoo.create_model("char-lstm-lm", vocab=Vocab(["<pad>", "<unk>", BOS, *sorted(set(path.read_text()))]),
                             embedding__dim=8, encoder__hidden_size=8)
    task = model.task
    stream = CorpusStream.of_file(path, task.tokens, whole_words=False).with_vocab(model.vocabs["tokens"])
    whole = list(streamed_chunks(stream, 6, task.config.data.chunk_length, "cpu"))
    shares = [list(task.train_batches(stream, 3, "cpu", random.Random(0), rank, 2)) for rank in (0, 1)]
    steps = min(len(whole), *map(len, shares))
    assert steps >= 3
    for step in range(steps):
        joined = torch.cat([shares[0][step]["tokens"], shares[1][step]["tokens"]])
        assert torch.equal(joined, whole[step]["tokens"])


def test_in_memory_rows_are_split_between_processes_the_same_way(tmp_path):
    model = zoo.create_model("char-lstm-lm", vocab=Vocab(["<pad>", "<unk>", BOS, *"abcdefgh"]),
                             embedding__dim=8, encoder__hidden_size=8)
    task = model.task
    encoded = task.encode([list("abcdefgh" * 200)], model.vocabs)
    whole = list(task.batches(encoded, 8, "cpu", True, random.Random(4)))
    shares = [list(task.train_batches(encoded, 4, "cpu", random.Random(4), rank, 2)) for rank in (0, 1)]
    assert len(shares[0]) == len(shares[1]) == len(whole)
    for step, batch in enumerate(whole):
        assert torch.equal(torch.cat([shares[0][step]["targets"], shares[1][step]["targets"]]), batch["targets"])


def test_streamed_language_model_learns(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("the cat sat on the mat. " * 400)
    overrides = {"embedding": {"dim": 16}, "encoder": {"hidden_size": 32}, "data": {"chunk_length": 32},
                 "training": {"epochs": 3, "batch_size": 8, "lr": 0.01, "stream": True}}
    model = zoo.train("char-lstm-lm", str(path), progress=False, overrides=overrides)
    assert set(model.vocabs["tokens"].tokens) >= set("the cat sat on mat.")
    assert model.training_summary["best_value"] < math.log(len(model.vocabs["tokens"])) - 1.0


@pytest.mark.parametrize("name", ["corpus.txt.gz", "folder"])
def test_streaming_needs_one_plain_file(tmp_path, name):
    target = tmp_path / name
    target.mkdir() if name == "folder" else target.write_bytes(b"")
    with pytest.raises(DataError, match="streaming reads one uncompressed text file"):
        CorpusStream.of_file(target, list, whole_words=False)
