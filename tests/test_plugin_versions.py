"""Model files record the plugins they need; loading says what to install or upgrade."""
import json
import warnings

import pytest
from conftest import run_zoo

import zoo_core
import zoo_core.extension.registry
from zoo_core.errors import ArtifactError
from zoo_core.extension.discovery import PluginInfo
from zoo_core.io.artifacts import FORMAT_VERSION
from zoo_core.io.store import read_header
from zoo_core.modeling.loading import load_model


@pytest.fixture
def saved(tmp_path):
    model = zoo_core.create_model("gru-classifier", vocab=20, num_classes=2, embedding={"dim": 8},
                                  encoder={"hidden_size": 8})
    return model.save(tmp_path / "tiny.safetensors")


def edited(path, tmp_path, change):
    """A copy of the model file with its zoo.plugins metadata changed by ``change(list)``."""
    from safetensors.torch import load_file, save_file

    metadata = read_header(path)["__metadata__"]
    plugins = json.loads(metadata["zoo.plugins"])
    change(plugins)
    metadata["zoo.plugins"] = json.dumps(plugins)
    copy = tmp_path / "edited.safetensors"
    save_file(load_file(str(path)), str(copy), metadata=metadata)
    return copy


def recurrent(plugins):
    return next(p for p in plugins if p["plugin"] == "recurrent")


def test_metadata_records_format_and_each_plugin_with_its_version(saved):
    metadata = read_header(saved)["__metadata__"]
    assert metadata["zoo.format_version"] == FORMAT_VERSION
    plugins = {p["plugin"]: p for p in json.loads(metadata["zoo.plugins"])}
    assert set(plugins) == {"core", "recurrent"}
    assert plugins["recurrent"]["distribution"] == "zoo-recurrent"
    assert plugins["recurrent"]["entry_point"] == "zoo_recurrent.plugin"
    assert plugins["recurrent"]["version"] == zoo_core.extension.registry.get_registry().plugins["recurrent"].version
    assert {"encoder:gru", "architecture:gru-classifier"} <= set(plugins["recurrent"]["provides"])
    assert {"head:classify", "pooler:last", "task:classify"} <= set(plugins["core"]["provides"])


def test_uninstalled_plugin_names_the_package_in_a_new_process(saved):
    """ZOO_PLUGINS= loads no plugin but the core: as if zoo-recurrent were uninstalled."""
    result = run_zoo("run", str(saved), "a film", env={"ZOO_PLUGINS": ""})
    assert result.returncode == 1
    assert result.stderr.startswith("zoo: error: ")
    assert "needs plugin 'recurrent'; install it: pip install zoo-recurrent>=0.1.0" in result.stderr
    assert "Traceback" not in result.stderr


def test_newer_major_version_warns_and_still_loads(saved, tmp_path):
    path = edited(saved, tmp_path, lambda plugins: recurrent(plugins).update(version="9.0.0"))
    with pytest.warns(UserWarning, match=r"saved with zoo-recurrent 9\.0\.0, a newer major version than the "
                                         r"installed 0\.1\.0; upgrade it"):
        model = load_model(str(path))
    assert model.config.encoder.type == "gru"


def test_same_major_version_loads_silently(saved, tmp_path):
    path = edited(saved, tmp_path, lambda plugins: recurrent(plugins).update(version="0.9.0"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_model(str(path))


def test_component_missing_from_an_older_installed_plugin_says_upgrade(saved, tmp_path):
    path = edited(saved, tmp_path, lambda plugins: recurrent(plugins)["provides"].append("encoder:indrnn"))
    with pytest.raises(ArtifactError, match=r"needs encoder indrnn from plugin 'recurrent' \(zoo-recurrent "
                                            r"0\.1\.0\), which the installed 0\.1\.0 lacks; upgrade it"):
        load_model(str(path))


def test_plugin_that_fails_to_import_is_named(saved, tmp_path, monkeypatch):
    registry = zoo_core.extension.registry.Registry.from_plugins()
    registry.plugins["fancy"] = PluginInfo("fancy", "zoo-fancy", "1.0", "zoo_fancy.plugin",
                                           errors=["failed to import zoo_fancy.plugin: ImportError: no torch_scatter"])
    monkeypatch.setattr(zoo_core.extension.registry, "_REGISTRY", registry)
    path = edited(saved, tmp_path, lambda plugins: plugins.append(
        {"plugin": "fancy", "distribution": "zoo-fancy", "version": "1.0", "provides": ["encoder:fancy"]}))
    with pytest.raises(ArtifactError, match="needs plugin 'fancy', which is installed but failed to load "
                                            r"\(failed to import .*no torch_scatter\)"):
        load_model(str(path))
