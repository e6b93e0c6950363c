"""The registry: listing, filtering, natural sort, and architectures set aside when their task is missing."""
import pytest

import zoo_core.extension.registry
from zoo_core import Architecture, list_models
from zoo_core.errors import UnknownNameError
from zoo_core.extension.discovery import FIRST_PARTY, TASK_PROVIDERS, PluginInfo
from zoo_core.extension.registry import Registry, get_registry, natural_key


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


# --- architectures needing a task that no loaded plugin provides ------------------------------------------------

HELPER = {"helper-task": ("helper", "zoo-helper")}


def registry_needing(task: str, *plugins: PluginInfo) -> Registry:
    """A registry whose plugin 'owner' registered architecture owner-model for ``task`` (and no task)."""
    registry = Registry()
    owner = PluginInfo("owner", "zoo-owner", "1.0.0", "zoo_owner.plugin", registered=["architecture:owner-model"])
    registry.plugins = {"owner": owner, **{info.name: info for info in plugins}}
    registry.architectures["owner-model"] = Architecture("owner-model", task, "needs a task", plugin="owner")
    registry._check_architectures()
    return registry


@pytest.mark.parametrize("task, plugins, zoo_plugins, reason", [
    ("mystery", [], None, "needs task 'mystery', which no installed plugin provides"),
    ("mystery", [], "owner", "needs task 'mystery', which no loaded plugin provides (ZOO_PLUGINS limits which load)"),
    ("helper-task", [], None, "needs task 'helper-task' from plugin 'helper'; install it: pip install zoo-helper"),
    ("helper-task", [PluginInfo("helper", "zoo-helper", "0.3.0", "zoo_helper.plugin", errors=["boom"])], None,
     "needs task 'helper-task' from plugin 'helper', which is installed but failed to load (`zoo plugins` shows why)"),
    ("helper-task", [PluginInfo("helper", "zoo-helper", "0.3.0", "zoo_helper.plugin")], None,
     "needs task 'helper-task' from plugin 'helper', which the installed zoo-helper 0.3.0 lacks; upgrade it: "
     "pip install -U zoo-helper"),
    ("lm", [], "owner", "needs task 'lm' from plugin 'recurrent', which is installed but left out by ZOO_PLUGINS; "
                        "add 'recurrent' to it"),
], ids=["unknown-task", "unknown-task-zoo-plugins", "not-installed", "failed-to-load", "older-release", "left-out"])
def test_architecture_needing_a_missing_task_is_unavailable_with_the_reason(monkeypatch, task, plugins, zoo_plugins,
                                                                           reason):
    monkeypatch.setattr(zoo_core.extension.registry, "TASK_PROVIDERS", {**TASK_PROVIDERS, **HELPER})
    if zoo_plugins is None:
        monkeypatch.delenv("ZOO_PLUGINS", raising=False)
    else:
        monkeypatch.setenv("ZOO_PLUGINS", zoo_plugins)
    registry = registry_needing(task, *plugins)
    owner = registry.plugins["owner"]
    assert owner.ok and owner.errors == [] and owner.registered == []
    assert owner.unavailable == {"owner-model": reason}
    assert registry.list_models() == []
    with pytest.raises(UnknownNameError) as raised:
        registry.resolve("owner-model")
    assert str(raised.value) == f"architecture 'owner-model' of plugin 'owner' is unavailable: it {reason}"


def test_task_providers_name_the_plugin_and_distribution_registering_each_first_party_task():
    registry = get_registry()
    for task, (plugin, distribution) in TASK_PROVIDERS.items():
        assert registry.tasks[task].plugin == plugin
        assert registry.plugins[plugin].distribution == distribution
    first_party = {name for name, task in registry.tasks.items()
                   if registry.plugins[task.plugin].distribution in FIRST_PARTY and task.plugin != "core"}
    assert first_party == set(TASK_PROVIDERS)
