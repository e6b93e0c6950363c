"""Contextual string embeddings (embedding.contextual, zoo_core/modeling/components/contextual.py): char LMs
trained forwards and backwards (data.reverse), their states at word boundaries beside a tagger's embeddings,
cached per sentence, their weights inside the tagger's file."""
import random
import sys
from pathlib import Path

import pytest
import torch

import zoo_core as zoo
from zoo_core.errors import ConfigError
from zoo_core.io.store import model_path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins" / "bidirectional" / "tests"))
from test_tag_task import TINY, sentence, write_conll  # noqa: E402 - the tag plugin's small CoNLL data

LM = {"embedding": {"dim": 8}, "encoder": {"hidden_size": 12}, "training": {"epochs": 1, "batch_size": 8},
      "data": {"chunk_length": 16}}
TAGGER = {**TINY, "training": {**TINY["training"], "epochs": 2}}


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """A store with two tiny char LMs (forward and backward, a few steps each) and a CoNLL file."""
    root = tmp_path_factory.mktemp("contextual")
    sentences = [sentence(random.Random(i)) for i in range(120)]
    write_conll(root / "train.conll", sentences)
    (root / "lm.txt").write_text("".join(" ".join(w for w, _, _ in s) + "\n" for s in sentences))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ZOO_HOME", str(root / "store"))
        zoo.train("char-lstm-lm", str(root / "lm.txt"), out="fwd-lm", overrides=LM, progress=False)
        zoo.train("char-lstm-lm", str(root / "lm.txt"), out="bwd-lm", progress=False,
                  overrides={**LM, "data": {**LM["data"], "reverse": True}})
        tagger = zoo.train("bilstm-crf-flair-tagger", str(root / "train.conll"), out="tagger", overrides=TAGGER,
                           progress=False)
    return root, tagger


@pytest.fixture
def store(home, monkeypatch):
    monkeypatch.setenv("ZOO_HOME", str(home[0] / "store"))
    return home


def lm_states(model, text: str) -> torch.Tensor:
    """An LM's top-layer states over ``text``, run by hand (no zoo code between)."""
    ids = torch.tensor([[model.vocabs["tokens"].id(c) for c in text]])
    with torch.no_grad():
        return model.encoder(model.embedding(ids), torch.tensor([ids.size(1)])).states[0]


def test_a_backward_lm_trains_on_reversed_text(store):
    task = zoo.load("bwd-lm").task
    assert task.config.data.reverse
    assert task.read_tokens(str(store[0] / "lm.txt"))[1:4] == list(
        (store[0] / "lm.txt").read_text()[::-1][:3])  # after the start token: the file's last characters first


def test_the_vectors_are_the_lms_states_at_the_word_boundaries(store):
    tagger = zoo.load("tagger")
    words = ("the", "big", "cat", "sees")
    vectors = tagger.token_features.contextual.sentence_vectors([words])[words]
    text = " ".join(words)
    forward = lm_states(zoo.load("fwd-lm"), "\n" + text)  # after each word's last character
    backward = lm_states(zoo.load("bwd-lm"), "\n" + text[::-1])  # right to left, after its first
    ends = [3, 7, 11, 16]  # "\nthe big cat sees": t=1..e=3, b=5..g=7, c=9..t=11, s=13..s=16
    firsts_reversed = [16, 12, 8, 4]  # the same first characters, counted in the reversed text
    assert torch.allclose(vectors[:, :12], forward[ends], atol=1e-6)
    assert torch.allclose(vectors[:, 12:], backward[firsts_reversed], atol=1e-6)


def test_the_cache_gives_identical_results_to_no_cache(store):
    tagger = zoo.load("tagger")
    contextual = tagger.token_features.contextual
    sentences = [("the", "cat", "sees", "a", "dog", "."), ("a", "red", "car", "."), ("the", "cat", "sees", "a", "dog", ".")]
    contextual.use_cache = False
    uncached = contextual(sentences, 7)
    assert not contextual.cache
    contextual.use_cache = True
    first = contextual(sentences, 7)
    assert len(contextual.cache) == 2  # one entry a distinct sentence
    again = contextual(sentences, 7)  # from the cache
    assert torch.equal(uncached, first) and torch.equal(first, again)
    assert torch.equal(uncached[0, 6:], torch.zeros_like(uncached[0, 6:]))  # padding stays zero


def test_the_tagger_file_holds_the_lms_weights_unchanged_and_loads_without_them(store):
    _, trained = store
    fwd = zoo.load("fwd-lm").state_dict()
    inside = trained.token_features.contextual.lms[0].state_dict()
    for name in ("embedding.weight", *(f"encoder.{k}" for k in zoo.load("fwd-lm").encoder.state_dict())):
        assert torch.equal(inside[name], fwd[name])  # copied, and frozen while the tagger trained
    saved = {path: path.read_bytes() for path in (model_path("fwd-lm"), model_path("bwd-lm"))}
    try:
        for path in saved:
            path.unlink()
        loaded = zoo.load("tagger")
        text = ["the old dog finds a book ."]
        assert loaded.predict(text) == trained.predict(text)
        assert loaded.vocabs["contextual:1"].reverse and loaded.vocabs["contextual:0"].source == "fwd-lm"
    finally:
        for path, data in saved.items():
            path.write_bytes(data)


def test_a_non_char_lm_and_a_task_without_them_are_one_line_errors(store, sentiment_dir):
    corpus = store[0] / "lm.txt"
    zoo.train("word-lstm-lm", str(corpus), out="word-lm", progress=False,
              overrides={"embedding": {"dim": 8}, "encoder": {"hidden_size": 8, "num_layers": 1},
                         "training": {"epochs": 1}})
    with pytest.raises(ConfigError, match=r"embedding.contextual: 'word-lm' is a word-level lm model"):
        zoo.train("bilstm-crf-tagger", str(store[0] / "train.conll"), progress=False,
                  overrides={**TAGGER, "embedding": {**TAGGER["embedding"], "contextual": ["word-lm"]}})
    with pytest.raises(ConfigError, match=r"embedding.contextual: no model 'nowhere-lm'.*train the char LMs first"):
        zoo.train("bilstm-crf-tagger", str(store[0] / "train.conll"), progress=False,
                  overrides={**TAGGER, "embedding": {**TAGGER["embedding"], "contextual": ["fwd-lm", "nowhere-lm"]}})
    with pytest.raises(ConfigError, match=r"embedding.contextual: the classify task does not read"):
        zoo.create_model("lstm-classifier", embedding__contextual=["fwd-lm"])


def test_init_from_a_plain_tagger_copies_its_parts_but_never_the_lms(store):
    plain = zoo.train("bilstm-crf-tagger", str(store[0] / "train.conll"), out="plain", overrides=TAGGER,
                      progress=False)
    flair = zoo.train("bilstm-crf-flair-tagger", str(store[0] / "train.conll"), init="plain", progress=False,
                      overrides={**TAGGER, "training": {**TAGGER["training"], "epochs": 1, "lr": 1e-9}})
    line = flair.training_summary["init"]
    # the char-CNN (under token_features.chars here) and the head (same labels) are copied; the encoder's first
    # layer reads more inputs now, so only its other tensors fit
    assert "token_features (3 tensors)" in line and "head (" in line and "encoder (some tensors" in line
    assert torch.allclose(flair.token_features.chars.conv.weight, plain.token_features.conv.weight, atol=1e-6)
    fwd = zoo.load("fwd-lm").embedding.weight
    assert torch.equal(flair.token_features.contextual.lms[0].embedding.weight, fwd)  # the LMs come from fwd-lm
