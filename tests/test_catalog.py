"""registry.json matches what plugin discovery finds."""
import json

from conftest import REPO
from tools.registry_catalog import build_catalog, check_catalog
from zoo_core.extension.registry import get_registry


def test_registry_json_is_in_sync():
    problem = check_catalog(REPO / "registry.json")
    assert problem is None, problem


def test_catalog_lists_every_first_party_architecture():
    names = {entry["name"] for entry in build_catalog()["architectures"]}
    assert {"rnn-classifier", "lstm-classifier", "gru-classifier"} <= names
    assert names == {n for n in get_registry().list_models()
                     if get_registry().plugins[get_registry().architectures[n].plugin].distribution.startswith("zoo-")}


def test_check_reports_a_stale_file(tmp_path):
    stale = build_catalog()
    stale["architectures"] = stale["architectures"][1:]
    path = tmp_path / "registry.json"
    path.write_text(json.dumps(stale))
    assert "out of date" in check_catalog(path)
