"""Model files record the plugins they need; loading says what to install, upgrade or reinstall, and a plugin
that renamed a setting still loads models saved with the old name."""
import json
import shlex
import warnings
from pathlib import Path

import pytest
from fake_plugins import write_plugin_site

import zoo_core
import zoo_core.extension.registry
from conftest import REPO, run_zoo
from zoo_core.config.validation import validate_model
from zoo_core.errors import ArtifactError, ConfigError
from zoo_core.extension.discovery import PluginInfo
from zoo_core.extension.registry import Registry
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

    from zoo_core.io.artifacts import seal

    metadata = read_header(path)["__metadata__"]
    plugins = json.loads(metadata["zoo.plugins"])
    change(plugins)
    metadata["zoo.plugins"] = json.dumps(plugins)
    copy = tmp_path / "edited.safetensors"
    save_file(load_file(str(path)), str(copy), metadata=metadata)
    seal(copy)  # a file edited on purpose gets new checksums (format 2)
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
    assert "needs plugin 'recurrent'; install it: pip install 'zoo-recurrent>=0.1.0'" in result.stderr
    assert "Traceback" not in result.stderr
    # Pasted into a shell, the command is pip with one requirement (unquoted, `>=0.1.0` would redirect to a file).
    command = result.stderr.split("install it: ", 1)[1].split(" (or add it")[0].strip()
    assert shlex.split(command) == ["pip", "install", "zoo-recurrent>=0.1.0"]


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
    """Saved with 9.1.0, installed 0.1.0: the component may come in a later release, so upgrading helps."""
    path = edited(saved, tmp_path, lambda plugins: recurrent(plugins).update(
        version="0.9.1", provides=[*recurrent(plugins)["provides"], "encoder:clockwork"]))
    with pytest.raises(ArtifactError) as raised:
        load_model(str(path))
    assert str(raised.value) == (f"{path}: this model needs encoder clockwork from plugin 'recurrent' (zoo-recurrent "
                                 "0.9.1), which the installed 0.1.0 lacks; upgrade it: "
                                 "pip install -U 'zoo-recurrent>=0.9.1'")


@pytest.mark.parametrize("recorded", ["0.0.9", "0.1.0", "0.1"])
def test_component_missing_from_a_newer_or_same_installed_plugin_says_removed_or_renamed(saved, tmp_path, recorded):
    """Installed is newer than (or the same as) the recorded release: upgrading cannot bring the component back."""
    path = edited(saved, tmp_path, lambda plugins: recurrent(plugins).update(
        version=recorded, provides=[*recurrent(plugins)["provides"], "encoder:clockwork"]))
    with pytest.raises(ArtifactError) as raised:
        load_model(str(path))
    assert str(raised.value) == (
        f"{path}: this model needs encoder clockwork from plugin 'recurrent', saved with zoo-recurrent {recorded}; "
        f"the installed 0.1.0 lacks it (removed or renamed since {recorded}); install the release it was saved "
        f"with (pip install 'zoo-recurrent=={recorded}') or retrain the model")
    assert "upgrade" not in str(raised.value)


def test_removed_component_is_one_line_in_a_new_process(saved, tmp_path):
    path = edited(saved, tmp_path, lambda plugins: recurrent(plugins)["provides"].append("encoder:clockwork"))
    result = run_zoo("run", str(path), "a film")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"zoo: error: {path}: this model needs encoder clockwork from plugin 'recurrent', "
                                    "saved with zoo-recurrent 0.1.0; the installed 0.1.0 lacks it (removed or renamed")
    assert "pip install 'zoo-recurrent==0.1.0'" in result.stderr


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


# --- a plugin at 2.0.0 and models saved with its 1.x (tests/fake_plugins.py) ---------------------------------


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory) -> Path:
    return write_plugin_site(tmp_path_factory.mktemp("site"))


@pytest.fixture
def versioned(plugin_site, monkeypatch):
    """This process's registry with zoo-versioned 2.0.0 installed (and only it, besides the core)."""
    monkeypatch.syspath_prepend(str(plugin_site))
    monkeypatch.setenv("ZOO_PLUGINS", "versioned")
    registry = Registry.from_plugins()
    assert registry.plugins["versioned"].version == "2.0.0" and registry.plugins["versioned"].ok
    monkeypatch.setattr(zoo_core.extension.registry, "_REGISTRY", registry)
    return registry


def saved_by_versioned_1x(path, tmp_path, encoder: dict):
    """A copy of the model file as zoo-versioned 1.2.0 would have written it, with these 1.x encoder settings."""
    from safetensors.torch import load_file, save_file

    from zoo_core.io.artifacts import seal

    metadata = read_header(path)["__metadata__"]
    config = json.loads(metadata["zoo.config"])
    config["encoder"] = {"type": "wide-bag", **encoder}
    plugins = json.loads(metadata["zoo.plugins"])
    next(p for p in plugins if p["plugin"] == "versioned")["version"] = "1.2.0"
    metadata.update({"zoo.config": json.dumps(config), "zoo.plugins": json.dumps(plugins)})
    copy = tmp_path / "saved-by-1x.safetensors"
    save_file(load_file(str(path)), str(copy), metadata=metadata)
    seal(copy)  # a file edited on purpose gets new checksums (format 2)
    return copy


def bag_model(tmp_path):
    model = zoo_core.create_model("versioned-bag-classifier", vocab=20, num_classes=2, embedding={"dim": 8},
                                  encoder={"width": 6})
    return model, model.save(tmp_path / "bag.safetensors")


def test_setting_renamed_by_a_plugin_loads_from_a_model_saved_with_the_old_name(versioned, tmp_path):
    """1.x stored encoder.hidden_size; 2.0 calls it width and maps the old name (docs/plugins.md)."""
    import torch

    model, path = bag_model(tmp_path)
    old = saved_by_versioned_1x(path, tmp_path, {"hidden_size": 6})
    assert json.loads(read_header(old)["__metadata__"]["zoo.config"])["encoder"] == {"type": "wide-bag",
                                                                                     "hidden_size": 6}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an older major version saved it: loads silently
        loaded = load_model(str(old))
    assert loaded.config.encoder.width == 6
    stored = loaded.config.to_dict()
    assert stored["encoder"] == {"type": "wide-bag", "width": 6}  # saved again, it has the new name only
    assert versioned.validate(stored).to_dict() == stored  # and that validates back (extra="forbid" holds)
    for name, tensor in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[name], tensor)


def test_old_and_new_name_together_are_one_clear_error(versioned):
    with pytest.raises(ConfigError, match=r"give width only \(hidden_size is its name before 2\.0\)"):
        versioned.validate_component("encoder", {"type": "wide-bag", "width": 4, "hidden_size": 4}, "encoder")


def test_stored_config_that_no_longer_validates_names_both_versions(versioned, plugin_site, tmp_path):
    """1.x had a setting `mode` that 2.0 removed: the one-line error says which versions are apart."""
    _, path = bag_model(tmp_path)
    old = saved_by_versioned_1x(path, tmp_path, {"hidden_size": 6, "mode": "sum"})
    result = run_zoo("run", str(old), "a film", env={"PYTHONPATH": str(plugin_site), "ZOO_PLUGINS": "versioned"})
    assert result.returncode == 1
    assert result.stderr == (
        f"zoo: error: {old}: stored config does not validate: encoder.mode: unknown setting; `zoo info` lists "
        "the settings (saved with zoo-versioned 1.2.0, installed 2.0.0: a different major version); install the "
        "release it was saved with (pip install 'zoo-versioned==1.2.0') or retrain the model\n")


def test_weights_that_no_longer_fit_name_both_versions(versioned, tmp_path):
    _, path = bag_model(tmp_path)
    old = saved_by_versioned_1x(path, tmp_path, {"hidden_size": 5})  # weights are for 6
    with pytest.raises(ArtifactError) as raised:
        load_model(str(old))
    assert "weights do not fit the stored config (" in str(raised.value)
    assert str(raised.value).endswith("(saved with zoo-versioned 1.2.0, installed 2.0.0: a different major version); "
                                      "install the release it was saved with (pip install 'zoo-versioned==1.2.0') "
                                      "or retrain the model")


def test_stored_config_error_within_one_major_version_names_no_versions(saved, tmp_path):
    from safetensors.torch import load_file, save_file

    from zoo_core.io.artifacts import seal

    metadata = read_header(saved)["__metadata__"]
    config = json.loads(metadata["zoo.config"])
    config["encoder"]["colour"] = "blue"
    metadata["zoo.config"] = json.dumps(config)
    copy = tmp_path / "unknown-setting.safetensors"
    save_file(load_file(str(saved)), str(copy), metadata=metadata)
    seal(copy)  # a file edited on purpose gets new checksums (format 2)
    with pytest.raises(ArtifactError) as raised:
        load_model(str(copy))
    assert str(raised.value) == (f"{copy}: stored config does not validate: encoder.colour: unknown setting; "
                                 "`zoo info` lists the settings")


def test_guide_example_of_a_renamed_setting_reads_the_old_name_and_writes_the_new():
    """The code block of docs/plugins.md, "Renaming a setting", run as written."""
    guide = (REPO / "docs" / "plugins.md").read_text(encoding="utf-8")
    section = guide.split("## Renaming a setting", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(compile(code, "docs/plugins.md", "exec"), namespace)  # noqa: S102 - the guide's own example
    config_class = namespace["CausalConvConfig"]
    old = validate_model(config_class, {"type": "causal-conv", "hidden_size": 64}, "encoder")
    assert old.channels == 64
    assert old.model_dump(mode="json") == {"type": "causal-conv", "channels": 64}
    assert validate_model(config_class, old.model_dump(mode="json"), "encoder") == old  # extra="forbid" holds
    with pytest.raises(ConfigError, match=r"give channels only \(hidden_size is its name before 2\.0\)"):
        validate_model(config_class, {"hidden_size": 64, "channels": 32}, "encoder")
    with pytest.raises(ConfigError, match=r"^encoder\.channels: Input should be greater than or equal to 1"):
        validate_model(config_class, {"hidden_size": 0}, "encoder")  # a bound names the current setting
