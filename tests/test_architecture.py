"""The architecture as import-linter contracts (pyproject.toml, [tool.importlinter]; docs/architecture.md):
the core's layers, plugins through zoo_core.plugin only, no cycles. Each contract is shown to fail on a
deliberate violation, so a green run means something."""
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_PACKAGES = ["zoo_recurrent", "zoo_bidirectional", "zoo_pooling", "zoo_seq2seq"]
LINT = [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"]


def lint() -> subprocess.CompletedProcess:
    return subprocess.run(LINT, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_every_contract_is_kept():
    result = lint()
    assert result.returncode == 0, result.stdout[-3000:]
    assert "3 kept, 0 broken" in result.stdout


def test_plugins_import_the_core_only_through_the_plugin_module():
    """Stricter than the forbidden contract: not even the user API (`zoo_core` itself) from plugin code."""
    graph = grimp.build_graph(*PLUGIN_PACKAGES, "zoo_core")
    for package in PLUGIN_PACKAGES:
        for module in graph.find_children(package) | {package}:
            core = {m for m in graph.find_modules_directly_imported_by(module) if m.split(".")[0] == "zoo_core"}
            assert core <= {"zoo_core.plugin"}, f"{module} imports {sorted(core - {'zoo_core.plugin'})}"


@pytest.mark.parametrize("probes, broken", [
    # a plugin reaching past the plugin API
    ({"plugins/recurrent/zoo_recurrent/_probe_violation.py": "from zoo_core.extension.registry import get_registry\n"},
     "First-party plugins import the core only through zoo_core.plugin BROKEN"),
    # a low layer importing a high one (config importing the CLI)
    ({"zoo_core/config/_probe_violation.py": "import zoo_core.cli.app\n"},
     "The core's layers: a module imports only from layers below its own BROKEN"),
    # two sibling modules importing each other
    ({"zoo_core/training/_probe_a.py": "import zoo_core.training._probe_b\n",
      "zoo_core/training/_probe_b.py": "import zoo_core.training._probe_a\n"},
     "No import cycles between sibling modules or packages of the core BROKEN"),
])
def test_a_deliberate_violation_breaks_its_contract(probes, broken):
    paths = [ROOT / name for name in probes]
    assert not any(path.exists() for path in paths)
    try:
        for path, source in zip(paths, probes.values()):
            path.write_text(source, encoding="utf-8")
        result = lint()
    finally:
        for path in paths:
            path.unlink(missing_ok=True)
    assert result.returncode != 0
    assert broken in result.stdout, result.stdout[-2000:]


def test_the_scaffold_and_the_docs_example_import_only_the_plugin_api():
    """What `zoo plugins new` writes (and docs/examples, which is its output) is a third party's code."""
    import ast

    from zoo_core.cli.scaffold import render_plugin

    files = dict(render_plugin("causal-conv"))
    files.update({str(p.relative_to(ROOT)): p.read_text(encoding="utf-8")
                  for p in (ROOT / "docs" / "examples").rglob("*.py")})
    checked = 0
    for name, source in files.items():
        if not name.endswith(".py"):
            continue
        allowed = {"zoo_core.plugin"} | ({"zoo_core", "zoo_core.testing"} if "/tests/" in f"/{name}" else set())
        for node in ast.walk(ast.parse(source)):
            modules = ([node.module] if isinstance(node, ast.ImportFrom) and node.module else
                       [alias.name for alias in node.names] if isinstance(node, ast.Import) else [])
            for module in modules:
                if module.split(".")[0] == "zoo_core":
                    assert module in allowed, f"{name} imports {module}"
                    checked += 1
    assert checked >= 6  # the hooks, configs, encoder and tests of both copies
