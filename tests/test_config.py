"""Configs: defaults, --set overrides, tagged unions and one-line errors."""
import pytest

from zoo_core.config.overrides import parse_set_options
from zoo_core.errors import ConfigError, UnknownNameError
from zoo_core.extension.registry import get_registry


def test_set_values_parse_as_json_else_string():
    assert parse_set_options(["encoder.hidden_size=64", "encoder.type=gru", "head.pooling={\"type\": \"last\"}"]) == {
        "encoder": {"hidden_size": 64, "type": "gru"}, "head": {"pooling": {"type": "last"}}}


def test_override_changes_encoder_and_keeps_shared_defaults():
    config = get_registry().resolve("lstm-classifier", parse_set_options(["encoder.type=gru", "encoder.num_layers=2"]))
    assert config.encoder.type == "gru"
    assert config.encoder.hidden_size == 256  # the preset's size carried over to the new type
    assert config.encoder.num_layers == 2


def test_pooling_name_is_shorthand_for_type():
    config = get_registry().resolve("lstm-classifier", {"head": {"pooling": "last"}})
    assert config.head.pooling.type == "last"
    assert config.to_dict()["head"]["pooling"] == {"type": "last"}


def test_bound_violation_names_field_and_bound():
    with pytest.raises(ConfigError, match=r"encoder\.hidden_size: .*greater than or equal to 1 \(got 0\)"):
        get_registry().resolve("lstm-classifier", parse_set_options(["encoder.hidden_size=0"]))


def test_unknown_setting_is_named():
    with pytest.raises(ConfigError, match=r"encoder\.hiden_size: unknown setting"):
        get_registry().resolve("lstm-classifier", parse_set_options(["encoder.hiden_size=3"]))


def test_unknown_component_suggests_close_names():
    with pytest.raises(ConfigError, match=r"encoder\.type: unknown encoder 'lstn'; did you mean lstm"):
        get_registry().resolve("lstm-classifier", {"encoder": {"type": "lstn"}})


def test_unknown_architecture_suggests_close_names():
    with pytest.raises(UnknownNameError, match="did you mean lstm-classifier"):
        get_registry().architecture("lstm-clasifier")


def test_config_round_trips_through_json():
    registry = get_registry()
    config = registry.resolve("gru-classifier", {"training": {"epochs": 4}})
    assert registry.validate(config.to_dict()).to_dict() == config.to_dict()


def test_bad_set_syntax():
    with pytest.raises(ConfigError, match="expected KEY.PATH=VALUE"):
        parse_set_options(["encoder.hidden_size"])


def test_config_file_toml(tmp_path):
    from zoo_core.config.overrides import read_config_file
    from zoo_core.workflows import resolve_config

    path = tmp_path / "c.toml"
    path.write_text("[encoder]\nhidden_size = 32\n[training]\nepochs = 2\n")
    config = resolve_config("lstm-classifier", config_file=read_config_file(path))
    assert (config.encoder.hidden_size, config.training.epochs) == (32, 2)


def test_config_file_bad_json_names_line(tmp_path):
    from zoo_core.config.overrides import read_config_file

    path = tmp_path / "c.json"
    path.write_text('{\n "encoder": {\n "hidden_size": ,\n}}')
    with pytest.raises(ConfigError, match=r"c\.json:3: not valid JSON"):
        read_config_file(path)


def test_train_deep_merges_overrides_and_keywords(sentiment_dir):
    """`overrides={"training": ...}` and a `training__...` keyword both apply (keywords win on the same key)."""
    import zoo_core as zoo

    model = zoo.train("lstm-classifier", str(sentiment_dir), progress=False,
                      overrides={"training": {"epochs": 1, "batch_size": 64}, "embedding": {"dim": 8}},
                      training__batch_size=16, encoder__hidden_size=8)
    assert model.config.training.epochs == 1 and model.config.training.batch_size == 16
    assert model.config.embedding.dim == 8 and model.config.encoder.hidden_size == 8
