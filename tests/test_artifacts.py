"""Model files: save, load by name in a new process, and clear errors for bad files."""
import json
import subprocess
import sys

import pytest
import torch

import zoo_core
from zoo_core.errors import ArtifactError, UnknownNameError
from zoo_core.io.store import model_path
from zoo_core.modeling.loading import load_model

TEXTS = ["the plot was dull but the acting was superb", "not good at all", "a film"]


@pytest.fixture
def trained(sentiment_dir):
    return zoo_core.train("gru-classifier", str(sentiment_dir), out="tiny", progress=False,
                          overrides={"embedding": {"dim": 16}, "encoder": {"hidden_size": 16}, "training": {"epochs": 1}})


def test_saved_model_predicts_the_same_in_a_new_process(trained, zoo_home):
    before = trained.predict_proba(TEXTS)
    code = ("import json, zoo_core; m = zoo_core.load('tiny'); "
            f"print(json.dumps(m.predict_proba({TEXTS!r})))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) == before


def test_metadata_records_everything(trained):
    from zoo_core.io.store import read_header

    metadata = read_header(model_path("tiny"))["__metadata__"]
    assert metadata["format"] == "pt"
    assert metadata["zoo.architecture"] == "gru-classifier"
    assert json.loads(metadata["zoo.config"])["encoder"]["hidden_size"] == 16
    assert set(json.loads(metadata["zoo.vocabs"])["labels"]) == {"neg", "pos"}
    plugins = {p["plugin"]: p for p in json.loads(metadata["zoo.plugins"])}
    assert plugins["recurrent"]["distribution"] == "zoo-recurrent"
    assert "encoder:gru" in plugins["recurrent"]["provides"]
    assert "valid_accuracy" == json.loads(metadata["zoo.training"])["best_metric"]
    assert model_path("tiny").with_name("tiny.metrics.jsonl").exists()


def test_truncated_file_is_one_clear_error(trained, tmp_path):
    data = model_path("tiny").read_bytes()
    broken = tmp_path / "broken.safetensors"
    broken.write_bytes(data[: len(data) // 2])
    with pytest.raises(ArtifactError, match="truncated"):
        load_model(str(broken))


def test_non_safetensors_file(tmp_path):
    bogus = tmp_path / "model.safetensors"
    bogus.write_bytes(b"PK\x03\x04 this is a zip, not a model")
    with pytest.raises(ArtifactError, match="not a safetensors file"):
        load_model(str(bogus))


def test_foreign_safetensors_file(tmp_path):
    from safetensors.torch import save_file

    path = tmp_path / "foreign.safetensors"
    save_file({"w": torch.zeros(2)}, str(path), metadata={"format": "pt"})
    with pytest.raises(ArtifactError, match="not a zoo model"):
        load_model(str(path))


def test_weights_that_do_not_fit_the_config(trained, tmp_path):
    from safetensors.torch import load_file, save_file

    from zoo_core.io.artifacts import seal
    from zoo_core.io.store import read_header

    path = model_path("tiny")
    metadata = read_header(path)["__metadata__"]
    config = json.loads(metadata["zoo.config"])
    config["encoder"]["hidden_size"] = 32
    metadata["zoo.config"] = json.dumps(config)
    edited = tmp_path / "edited.safetensors"
    save_file(load_file(str(path)), str(edited), metadata=metadata)
    seal(edited)  # a file edited on purpose gets new checksums (format 2)
    with pytest.raises(ArtifactError, match="weights do not fit the stored config"):
        load_model(str(edited))


def test_missing_plugin_names_the_package(trained, tmp_path):
    from safetensors.torch import load_file, save_file

    from zoo_core.io.artifacts import seal
    from zoo_core.io.store import read_header

    metadata = read_header(model_path("tiny"))["__metadata__"]
    plugins = json.loads(metadata["zoo.plugins"])
    plugins.append({"plugin": "fancy", "distribution": "zoo-fancy", "version": "2.0", "provides": []})
    metadata["zoo.plugins"] = json.dumps(plugins)
    edited = tmp_path / "edited.safetensors"
    save_file(load_file(str(model_path("tiny"))), str(edited), metadata=metadata)
    seal(edited)  # a file edited on purpose gets new checksums (format 2)
    with pytest.raises(ArtifactError, match=r"needs plugin 'fancy'; install it: pip install 'zoo-fancy>=2\.0'$"):
        load_model(str(edited))


@pytest.mark.parametrize("name", ["../escape", ".hidden", "a b", "x;rm"])
def test_store_names_that_escape_or_break_rules_are_refused(name):
    if "/" in name:
        assert model_path(name).name == "escape"  # a path: used as given, not put in the store
        return
    with pytest.raises(UnknownNameError, match="not a valid model name"):
        model_path(name)


def test_save_is_atomic(trained, monkeypatch):
    """A failing save leaves the old file intact and no temporary file behind."""
    from zoo_core.modeling import saving

    path = model_path("tiny")
    before = path.read_bytes()

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(saving, "save_weights", explode)  # safetensors' writer, as saving.py calls it
    with pytest.raises(OSError):
        trained.save(path)
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []
