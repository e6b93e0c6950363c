"""Any pooler with any encoder; the presets; one-line errors for poolers that cannot apply."""
import pytest

import zoo_core as zoo
from zoo_core.plugin import ConfigError
from zoo_core.testing import registry as get_registry

TINY = {"embedding": {"dim": 8}, "encoder": {"hidden_size": 6}}
TEXTS = ["a fine film", "not good , not good at all and far too long for its own good"]


@pytest.mark.parametrize("encoder", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("pooling", ["last", "mean", "max", {"type": "attention", "heads": 2}, "concat"], ids=str)
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
def test_any_pooler_with_any_encoder_ignores_padding(encoder, pooling, bidirectional):
    model = zoo.create_model("lstm-classifier", vocab=["<pad>", "<unk>", *dict.fromkeys(" ".join(TEXTS).split())],
                             embedding=TINY["embedding"], head={"pooling": pooling},
                             encoder={"type": encoder, "hidden_size": 6, "bidirectional": bidirectional})
    assert type(model.head.pooler).__name__.lower().startswith(model.config.head.pooling.type)
    alone = model.predict_proba(TEXTS[:1])[0]
    together = model.predict_proba(TEXTS)[0]
    assert alone == pytest.approx(together, abs=1e-5)


PRESETS = {
    "bilstm-max-classifier": ("lstm", True, "max"),
    "bilstm-attn-classifier": ("lstm", True, "attention"),
    "bigru-mean-classifier": ("gru", True, "mean"),
    "lstm-concat-classifier": ("lstm", False, "concat"),
}


@pytest.mark.parametrize("name", PRESETS)
def test_presets(name):
    encoder, bidirectional, pooling = PRESETS[name]
    config = get_registry().resolve(name)
    assert (config.encoder.type, config.encoder.bidirectional, config.head.pooling.type) == PRESETS[name]
    model = zoo.create_model(name, vocab=50, **TINY)
    hidden = model.encoder.out_dim
    widths = {"max": hidden, "mean": hidden, "attention": hidden, "concat": 3 * hidden}
    assert model.head.pooler.out_dim == widths[pooling]
    assert model.encoder.out_dim == 6 * (2 if bidirectional else 1)


def test_set_head_pooling_switches_pooler_and_keeps_the_rest():
    config = get_registry().resolve("bilstm-max-classifier", {"head": {"pooling": {"type": "attention", "heads": 4}}})
    assert (config.head.pooling.type, config.head.pooling.heads, config.head.dropout) == ("attention", 4, 0.3)


def test_pooler_that_needs_bidirectional_encoder_fails_in_one_line():
    with pytest.raises(ConfigError) as error:
        zoo.create_model("lstm-classifier", vocab=50, head={"pooling": "ends"}, **TINY)
    message = str(error.value)
    assert "head.pooling=ends needs a bidirectional encoder" in message
    assert "encoder.bidirectional=true" in message and "\n" not in message
    model = zoo.create_model("bilstm-max-classifier", vocab=50, head={"pooling": "ends"}, **TINY)
    assert model.head.pooler.out_dim == 4 * 6

