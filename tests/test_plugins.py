"""Plugins installed from packages: a good one appears and trains; a broken one and a clashing
one are reported while the rest keep working. Installed into a temporary folder that only the
subprocesses of these tests see."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
from fake_plugins import write_plugin_site

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
    assert "install it: pip install 'zoo-tinyplugin>=1.2.0'" in missing.stderr


LM_REASON = ("needs task 'lm' from plugin 'recurrent', which is installed but left out by ZOO_PLUGINS; "
             "add 'recurrent' to it")
MYSTERY_REASON = "needs task 'mystery', which no loaded plugin provides (ZOO_PLUGINS limits which load)"


@pytest.fixture(scope="module")
def fake_site(tmp_path_factory) -> str:
    """zoo-versioned (one usable architecture, one needing task lm, one needing task mystery) and zoo-badarch
    (an architecture with invalid defaults): tests/fake_plugins.py."""
    return str(write_plugin_site(tmp_path_factory.mktemp("fake-site")))


def test_architecture_needing_a_missing_task_is_unavailable_and_its_plugin_ok(fake_site):
    env = {"PYTHONPATH": fake_site, "ZOO_PLUGINS": "versioned,badarch"}  # recurrent (task lm) left out
    plugins = {p["name"]: p for p in json.loads(run_zoo("plugins", "--json", env=env).stdout)}
    versioned = plugins["versioned"]
    assert versioned["ok"] and versioned["errors"] == []
    assert versioned["unavailable"] == {"versioned-bag-lm": LM_REASON, "versioned-mystery-tagger": MYSTERY_REASON}
    assert versioned["registered"] == ["encoder:wide-bag", "architecture:versioned-bag-classifier"]
    # Genuinely broken defaults stay an error of their plugin.
    assert not plugins["badarch"]["ok"] and plugins["badarch"]["unavailable"] == {}
    assert plugins["badarch"]["errors"] == ["architecture 'badarch-classifier' is invalid: encoder.width: Input "
                                            "should be greater than or equal to 1 (got 0)"]

    text = run_zoo("plugins", env=env).stdout.splitlines()
    assert "versioned (zoo-versioned 2.0.0) ok" in text
    assert f"  unavailable: versioned-bag-lm: {LM_REASON}" in text
    assert f"  unavailable: versioned-mystery-tagger: {MYSTERY_REASON}" in text
    assert "badarch (zoo-badarch 1.0.0) FAILED" in text

    listing = run_zoo("list", "--json", env=env)
    assert [row["name"] for row in json.loads(listing.stdout)] == ["versioned-bag-classifier"]
    assert "versioned-bag-lm" not in run_zoo("list", env=env).stdout


def test_naming_an_unavailable_architecture_gives_the_reason_and_the_others_train(fake_site, sentiment_dir):
    env = {"PYTHONPATH": fake_site, "ZOO_PLUGINS": "versioned"}
    data = ["--data", str(sentiment_dir), "--quiet", "--set", "training.epochs=1"]
    for args, name, reason in ((["info", "versioned-bag-lm"], "versioned-bag-lm", LM_REASON),
                               (["train", "versioned-mystery-tagger", *data], "versioned-mystery-tagger",
                                MYSTERY_REASON)):
        result = run_zoo(*args, env=env)
        assert result.returncode == 1
        assert result.stderr == f"zoo: error: architecture '{name}' of plugin 'versioned' is unavailable: it {reason}\n"
    trained = run_zoo("train", "versioned-bag-classifier", *data, "--out", "wide-bag", env=env)
    assert trained.returncode == 0, trained.stderr
    assert run_zoo("run", "wide-bag", "a good film", env=env).stdout.split("\t")[0] in {"pos", "neg"}


def test_architecture_is_available_once_the_task_plugin_loads(fake_site):
    env = {"PYTHONPATH": fake_site}  # every plugin, recurrent (task lm) included
    plugins = {p["name"]: p for p in json.loads(run_zoo("plugins", "--json", env=env).stdout)}
    assert plugins["versioned"]["unavailable"] == {
        "versioned-mystery-tagger": "needs task 'mystery', which no installed plugin provides"}
    assert "architecture:versioned-bag-lm" in plugins["versioned"]["registered"]
    assert "versioned-bag-lm" in [row["name"] for row in json.loads(run_zoo("list", "--json", env=env).stdout)]


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
