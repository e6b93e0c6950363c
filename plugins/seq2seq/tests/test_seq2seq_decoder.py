"""The attention decoder: fast teacher-forced paths equal step-by-step decoding, attention is masked."""
import pytest
import torch

from zoo_core import create_model
from zoo_core.plugin import ConfigError
from zoo_core.testing import placeholder_vocabs
from zoo_seq2seq.task import BOS_ID

SMALL = {"embedding__dim": 8, "encoder__hidden_size": 6, "head__hidden_size": 12, "head__embedding_dim": 5,
         "head__attention_dim": 7}
VARIANTS = {
    "additive": ("gru-attn-seq2seq", {}),
    "general+feeding (lstm)": ("lstm-luong-seq2seq", {}),
    "general": ("lstm-luong-seq2seq", {"head__input_feeding": False}),
    "dot": ("gru-attn-seq2seq", {"head__attention": "dot"}),
    "none": ("gru-seq2seq", {}),
}


def small_model(name, **overrides):
    return create_model(name, vocabs=placeholder_vocabs(15), **{**SMALL, **overrides}).eval()


def batch_for(model):
    return model.task.example_batch(model.vocabs, 4, model.device)


@pytest.mark.parametrize("variant", VARIANTS)
def test_teacher_forced_logits_equal_step_by_step_decoding(variant):
    name, overrides = VARIANTS[variant]
    if variant == "dot":  # dot attention needs the decoder as wide as the bidirectional encoder
        overrides = {**overrides, "head__hidden_size": 12}
    model = small_model(name, **overrides)
    batch = batch_for(model)
    with torch.no_grad():
        fast, encoded = model(batch)
        state = model.head.start_state(encoded, batch["lengths"])
        stepped, weights = model.head.run_steps(state, batch["target_in"])
    assert torch.allclose(fast, stepped, atol=1e-5)
    if variant == "none":
        assert weights is None
    else:
        padded = torch.arange(batch["tokens"].size(1)).unsqueeze(0) >= batch["lengths"].unsqueeze(1)
        assert bool((weights.masked_select(padded.unsqueeze(1).expand_as(weights)) == 0).all())
        assert torch.allclose(weights.sum(-1), torch.ones(weights.shape[:2]))


def test_teacher_forcing_ratio_zero_feeds_the_models_own_predictions():
    model = small_model("gru-attn-seq2seq", head__teacher_forcing=0.0)
    batch = batch_for(model)
    torch.manual_seed(0)
    model.train()
    own, _ = model(batch)
    model.eval()
    forced, _ = model(batch)
    assert torch.allclose(own[:, 0], forced[:, 0], atol=1e-6)  # the first step always reads <s>
    assert not torch.allclose(own, forced, atol=1e-4)
    assert int(batch["target_in"][0, 0]) == BOS_ID


def test_bad_attention_settings_are_one_line_errors():
    with pytest.raises(ConfigError, match="head.attention=dot needs head.hidden_size"):
        small_model("gru-attn-seq2seq", head__attention="dot", head__hidden_size=10)
    with pytest.raises(ConfigError, match="head.input_feeding: applies to dot or general attention"):
        small_model("gru-attn-seq2seq", head__input_feeding=True)


def test_label_smoothing_applies_to_the_training_loss_only():
    model = small_model("gru-attn-seq2seq", head__label_smoothing=0.3)
    batch = batch_for(model)
    # Logits sure of the right token: no loss without smoothing, a clear loss with it.
    logits = 30.0 * torch.nn.functional.one_hot(batch["target_out"], model.head.vocab_size).float()
    assert model.head.loss(logits, batch) < 1e-6
    model.train()
    assert model.head.loss(logits, batch) > 1.0
