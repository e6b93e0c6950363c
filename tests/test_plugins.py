"""Plugins installed from packages: a good one appears and trains; a broken one and a clashing
one are reported while the rest keep working. Installed into a temporary folder that only the
subprocesses of these tests see."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_zoo

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory) -> str:
    target = tmp_path_factory.mktemp("site")
    packages = [str(FIXTURES / name) for name in ("tinyplugin", "brokenplugin", "clashplugin")]
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--disable-pip-version-check", "--target", str(target), *packages], check=True)
    return str(target)


def test_installed_plugin_is_listed_and_failures_reported(plugin_site):
    env = {"PYTHONPATH": plugin_site}
    listing = run_zoo("list", "--json", env=env)
    assert listing.returncode == 0, listing.stderr
    rows = {row["name"]: row for row in json.loads(listing.stdout)}
    assert rows["tiny-bag-classifier"]["plugin"] == "tiny"
    assert rows["lstm-classifier"]["plugin"] == "recurrent"  # the clash did not take it over

    plugins = {p["name"]: p for p in json.loads(run_zoo("plugins", "--json", env=env).stdout)}
    assert plugins["tiny"]["ok"] and plugins["tiny"]["version"] == "1.2.0"
    assert "encoder:bag" in plugins["tiny"]["registered"]
    assert "this plugin is broken on purpose" in plugins["broken"]["errors"][0]
    assert "already registered by plugin 'recurrent'" in plugins["clash"]["errors"][0]
    assert plugins["recurrent"]["ok"]

    text = run_zoo("plugins", env=env).stdout
    assert "broken (zoo-brokenplugin 1.2.0) FAILED" in text


def test_installed_plugin_trains_saves_and_runs(plugin_site, sentiment_dir):
    env = {"PYTHONPATH": plugin_site}
    trained = run_zoo("train", "tiny-bag-classifier", "--data", str(sentiment_dir), "--out", "bag",
                      "--set", "training.epochs=1", "--quiet", env=env)
    assert trained.returncode == 0, trained.stderr
    assert run_zoo("run", "bag", "a good film", env=env).stdout.split("\t")[0] in {"pos", "neg"}
    # Without the plugin, loading says which package to install.
    missing = run_zoo("run", "bag", "a good film")
    assert missing.returncode == 1
    assert "pip install zoo-tinyplugin" in missing.stderr


def test_zoo_plugins_env_var_limits_loading(plugin_site):
    plugins = json.loads(run_zoo("plugins", "--json", env={"PYTHONPATH": plugin_site, "ZOO_PLUGINS": "tiny"}).stdout)
    assert sorted(p["name"] for p in plugins) == ["core", "tiny"]


def test_listing_commands_do_not_import_torch():
    code = (
        "import sys\n"
        "from zoo_core.cli import main\n"
        "for args in (['--help'], ['list'], ['plugins'], ['list', '--json']):\n"
        "    try:\n"
        "        main(args, standalone_mode=False)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print('torch' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "False"
