"""The registry: listing, filtering and natural sort."""
from zoo_core import list_models
from zoo_core.extension.registry import natural_key


def test_list_models_filters_by_pattern_and_task():
    names = list_models("*lstm*", task="classify")
    assert "lstm-classifier" in names
    assert all("lstm" in n for n in names)
    assert "gru-classifier" not in names
    assert list_models(task="no-such-task") == []


def test_exclude_filter():
    assert "rnn-classifier" not in list_models("*-classifier", exclude=("rnn*",))


def test_natural_sort():
    assert sorted(["lstm-10", "lstm-2", "lstm-1"], key=natural_key) == ["lstm-1", "lstm-2", "lstm-10"]
