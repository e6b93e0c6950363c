"""Starting from another model (training.init / --init) and choosing what trains (freeze, gradual unfreezing,
per-part learning rates): zoo_core/training/transfer.py."""
import json

import pytest
import torch

import zoo_core as zoo
from conftest import TINY, run_zoo
from zoo_core.data.synthetic import generate_sentiment
from zoo_core.errors import ZooError
from zoo_core.training.transfer import frozen_at, initialize_from, parameter_groups

SIZES = {"embedding__dim": 16, "encoder__hidden_size": 16}


def classifier(tokens, labels=("neg", "pos"), **overrides):
    model = zoo.create_model("lstm-classifier", vocab=["<pad>", "<unk>", *tokens], **{**SIZES, **overrides})
    model.vocabs["labels"] = type(model.vocabs["tokens"])(list(labels))
    return model


def test_shared_tokens_rows_move_to_their_new_places_and_the_encoder_is_copied_exactly():
    source = classifier(["good", "bad", "film", "plot"])
    target = classifier(["plot", "new", "good"])  # a different order, one token the source lacks
    before_new = target.embedding.weight[3].clone()
    report = initialize_from(target, source, "source")
    rows = source.vocabs["tokens"].index
    for token in ("plot", "good", "<pad>", "<unk>"):
        assert torch.equal(target.embedding.weight[target.vocabs["tokens"].index[token]], source.embedding.weight[rows[token]])
    assert torch.equal(target.embedding.weight[3], before_new)  # "new": initialised as usual
    for name, tensor in target.encoder.state_dict().items():
        assert torch.equal(tensor, source.encoder.state_dict()[name])
    assert report.shared_tokens == 4 and report.target_tokens == 5
    assert "vocabulary overlap 4 of 5 tokens (80%)" in report.line()


def test_the_head_is_copied_over_the_same_labels_and_started_fresh_when_they_differ():
    source = classifier(["good", "bad"])
    same = classifier(["good", "bad"])
    initialize_from(same, source, "source")
    for name, tensor in same.head.state_dict().items():
        assert torch.equal(tensor, source.head.state_dict()[name])
    other = classifier(["good", "bad"], labels=("neg", "neutral", "pos"))
    fresh_head = {k: v.clone() for k, v in other.head.state_dict().items()}
    report = initialize_from(other, source, "source")
    assert report.fresh["head"] == "labels differ"
    for name, tensor in other.head.state_dict().items():
        assert torch.equal(tensor, fresh_head[name])


def test_nothing_that_fits_is_one_clear_error():
    source = classifier(["good"], embedding__dim=8, encoder__hidden_size=8)
    target = classifier(["good"], encoder__type="gru")
    with pytest.raises(ZooError, match=r"--init source: nothing fits this lstm-classifier model"):
        initialize_from(target, source, "source")


def test_gradual_unfreezing_starts_at_the_output_and_multipliers_scale_each_part():
    freeze = ["embedding", "encoder", "head"]
    assert [frozen_at(epoch, freeze, 2) for epoch in (1, 2, 3, 5, 7)] == [
        {"embedding", "encoder", "head"}, {"embedding", "encoder", "head"}, {"embedding", "encoder"}, {"embedding"},
        set()]
    assert frozen_at(9, ["encoder"], None) == {"encoder"}
    groups = {g["part"]: g["lr"] for g in parameter_groups(classifier(["a"]), 0.01, {"embedding": 0.1})}
    assert groups == {"embedding": pytest.approx(0.001), "encoder": 0.01, "head": 0.01}


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "reviews.txt"
    path.write_text("\n".join(text for text, _ in generate_sentiment(300, seed=5)) + "\n", encoding="utf-8")
    return path


def test_word_lm_into_classifier_with_the_encoder_frozen(corpus, sentiment_dir):
    """Dai & Le / ULMFiT: the LM's embedding and encoder start the classifier; frozen, the encoder stays the LM's
    bit for bit while the rest trains."""
    lm = zoo.train("word-lstm-lm", str(corpus), out="lm", progress=False, encoder__num_layers=1, **SIZES,
                   training__epochs=1)
    model = zoo.train("lstm-classifier", str(sentiment_dir), init="lm", progress=False, **SIZES,
                      training__epochs=2, training__freeze=["encoder"])
    for name, tensor in model.encoder.state_dict().items():
        assert torch.equal(tensor, lm.encoder.state_dict()[name]), name
    assert model.config.training.init == "lm"
    assert model.training_summary["init"].startswith("init from lm: copied embedding (1 tensors), encoder (4 tensors)")
    assert "head (a classify head, the source has lm)" in model.training_summary["init"]
    shared = [t for t in model.vocabs["tokens"].tokens if t in lm.vocabs["tokens"].index and t not in ("<pad>",)]
    moved = [t for t in shared if not torch.equal(model.embedding.weight[model.vocabs["tokens"].index[t]],
                                                  lm.embedding.weight[lm.vocabs["tokens"].index[t]])]
    assert shared and moved  # the embedding trained on from the LM's rows
    assert all(p.requires_grad for p in model.parameters())  # whole again after training


def test_cli_init_and_freeze_print_the_transfer_and_travel_in_the_model_file(sentiment_dir, zoo_home):
    first = run_zoo("train", "lstm-classifier", "--data", str(sentiment_dir), "--out", "base", *TINY)
    assert first.returncode == 0, first.stderr
    tuned = run_zoo("train", "lstm-classifier", "--data", str(sentiment_dir), "--out", "tuned", "--init", "base",
                    "--freeze", "embedding", *TINY[:-1])
    assert tuned.returncode == 0, tuned.stderr
    assert "init from base: copied embedding (1 tensors), encoder (4 tensors), head (2 tensors)" in tuned.stderr
    info = json.loads(run_zoo("info", "tuned", "--json").stdout)
    assert info["config"]["training"]["init"] == "base" and info["config"]["training"]["freeze"] == ["embedding"]
    missing = run_zoo("train", "lstm-classifier", "--data", str(sentiment_dir), "--init", "nowhere", *TINY)
    assert missing.returncode == 1 and "no model 'nowhere'" in missing.stderr and "Traceback" not in missing.stderr
