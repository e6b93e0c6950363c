"""`zoo plugins new`: the package it writes installs, is listed, and passes its own tests."""
import json
import os
import re
import subprocess
import sys

import pytest

from conftest import REPO, run_zoo
from zoo_core.cli.scaffold import render_plugin

EXAMPLE = REPO / "docs" / "examples" / "zoo-causal-conv"
GUIDE = REPO / "docs" / "plugins.md"


def test_new_plugin_installs_is_listed_and_passes_its_own_tests(tmp_path):
    made = run_zoo("plugins", "new", "demo-conv", "--path", str(tmp_path))
    assert made.returncode == 0, made.stderr
    package = tmp_path / "zoo-demo-conv"
    site = tmp_path / "site"  # installed here, not into the venv, so the rest of the suite never sees it
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--target", str(site), str(package)], check=True, capture_output=True, timeout=120)
    env = {"PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}

    listed = run_zoo("list", "demo-conv*", "--json", env=env)
    assert [(row["name"], row["plugin"]) for row in json.loads(listed.stdout)] == [("demo-conv-classifier", "demo-conv")]
    plugins = run_zoo("plugins", env=env).stdout
    assert "demo-conv (zoo-demo-conv 0.1.0) ok" in plugins
    assert "encoder:demo-conv, architecture:demo-conv-classifier" in plugins

    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], cwd=package,
                           capture_output=True, text=True, env={**os.environ, **env}, timeout=180)
    assert tests.returncode == 0, tests.stdout[-3000:]
    assert re.search(r"\b1[0-9] passed\b", tests.stdout)  # discovery + one test per check


def test_refuses_bad_and_taken_names(tmp_path):
    bad = run_zoo("plugins", "new", "My_Plugin", "--path", str(tmp_path))
    assert bad.returncode == 1 and "use lower-case letters and digits" in bad.stderr
    taken = run_zoo("plugins", "new", "gru", "--path", str(tmp_path))
    assert taken.returncode == 1 and "encoder 'gru' is already registered" in taken.stderr
    assert list(tmp_path.iterdir()) == []


def test_docs_example_is_the_scaffold_output():
    """docs/examples/zoo-causal-conv is exactly what `zoo plugins new causal-conv` writes."""
    for relative, text in render_plugin("causal-conv").items():
        assert (EXAMPLE / relative).read_text(encoding="utf-8") == text, f"regenerate {EXAMPLE / relative}"


def test_guide_code_is_copied_from_the_example():
    """Each code block of docs/plugins.md marked `<!-- file: PATH -->` is that file, verbatim."""
    guide = GUIDE.read_text(encoding="utf-8")
    blocks = re.findall(r"<!-- file: (\S+) -->\n```\w*\n(.*?)```", guide, flags=re.S)
    assert len(blocks) >= 4
    for path, code in blocks:
        assert (REPO / path).read_text(encoding="utf-8") == code, f"docs/plugins.md is out of date for {path}"


@pytest.mark.parametrize("target", ["encoder:causal-conv", "causal-conv-classifier"])
def test_guide_example_passes_the_kit(target, monkeypatch):
    """The guide's example, registered from its source folder, passes the conformance kit."""
    import zoo_core.extension.registry
    from zoo_core.extension.discovery import PluginInfo
    from zoo_core.testing import check_conformance

    monkeypatch.syspath_prepend(str(EXAMPLE))
    plugin = __import__("zoo_causal_conv.plugin", fromlist=["plugin"])
    registry = zoo_core.extension.registry.Registry.from_plugins()
    info = registry.plugins["causal-conv"] = PluginInfo("causal-conv", "zoo-causal-conv", "0.1.0", "zoo_causal_conv.plugin")
    plugin.register_components(register=lambda item: registry._add_component(item, info))
    plugin.register_architectures(register=lambda item: registry._add_architecture(item, info))
    monkeypatch.setattr(zoo_core.extension.registry, "_REGISTRY", registry)
    check_conformance(target)
