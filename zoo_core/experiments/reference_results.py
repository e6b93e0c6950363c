"""Reference results: the committed `results/<experiment>/results.json` files written by `zoo compare`
feed a `results` entry per architecture in registry.json and the generated tables of docs/results.md.
`python -m tools.registry` regenerates both (and `python -m tools.registry --check` checks both)."""
from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Optional

from zoo_core.experiments.compare import _pm, flatten, markdown_table, summarize
from zoo_core.io.store import atomic_write_bytes

SOURCE_ROOT = Path(__file__).resolve().parents[1]
DOCS = Path("docs") / "results.md"
DOCS_HEADER = ("# Results\n\nReference comparisons made with `zoo compare`. The tables between the `zoo:results` "
               "markers are generated from `results/*/results.json` by `python -m tools.registry`; do not edit them by hand.\n")


def experiments(root: Path) -> dict[str, dict]:
    """Each committed comparison under ``root/results``, by folder name."""
    found = {}
    for path in sorted((Path(root) / "results").glob("*/results.json")):
        found[path.parent.name] = json.loads(path.read_text(encoding="utf-8"))
    return found


def compare_command(settings: dict, out: str) -> str:
    """The command that produced (and resumes) a comparison."""
    parts = ["zoo", "compare", *settings["architectures"], "--data", settings["data"]]
    for key, value in settings.get("set", {}).items():
        parts += ["--set", f"{key}={value if isinstance(value, str) else json.dumps(value)}"]
    for key, values in grid_options(settings.get("grid", [])).items():
        parts += ["--grid", f"{key}={','.join(json.dumps(v) if not isinstance(v, str) else v for v in values)}"]
    parts += ["--seeds", str(settings["seeds"])]
    if settings.get("budget_minutes"):
        parts += ["--budget", f"{settings['budget_minutes']:g}"]
    if settings.get("threads"):
        parts += ["--threads", str(settings["threads"])]
    return shlex.join(parts + ["--out", out])


def grid_options(grid: list[dict]) -> dict[str, list]:
    axes: dict[str, list] = {}
    for point in grid:
        for key, value in flatten(point).items():
            if value not in axes.setdefault(key, []):
                axes[key].append(value)
    return axes


def _round(value: Optional[float]) -> Optional[float]:
    return None if value is None else round(value, 4)


def reference_results(root: Path) -> dict[str, dict]:
    """Per architecture: the best configuration (by mean validation score) of any committed comparison."""
    best: dict[str, dict] = {}
    for name, experiment in experiments(root).items():
        settings = experiment["settings"]
        for entry in summarize(experiment["runs"]):
            if entry["valid_mean"] is None:
                continue
            current = best.get(entry["architecture"])
            higher = entry["higher_is_better"]
            if current and (current["valid_mean"] >= entry["valid_mean"]) == higher:
                continue
            best[entry["architecture"]] = {
                "experiment": name, "data": Path(settings["data"]).name, "metric": entry["metric"],
                "test_mean": _round(entry["test_mean"]), "test_std": _round(entry["test_std"]),
                "valid_mean": _round(entry["valid_mean"]), "valid_std": _round(entry["valid_std"]),
                "seeds": entry["ok"], "overrides": {**settings.get("set", {}), **flatten(entry["overrides"])},
                "budget_minutes": settings.get("budget_minutes"),
                "command": compare_command(settings, f"results/{name}"),
                "source": f"results/{name}/results.json",
            }
    return best


# --- docs/results.md --------------------------------------------------------------------------

def _markers(name: str) -> tuple[str, str]:
    return f"<!-- zoo:results:{name} begin -->", f"<!-- zoo:results:{name} end -->"


def render_block(name: str, experiment: dict, root: Path) -> str:
    settings = experiment["settings"]
    budget = f"{settings['budget_minutes']:g} min per run" if settings.get("budget_minutes") else "no time budget"
    lines = [
        f"Data `{settings['data']}`, {settings['seeds']} seed(s) per configuration, {budget}; mean ± standard "
        "deviation over seeds, best first by validation score (weights chosen on the validation split, "
        "then scored once on the test split).", "",
        markdown_table(summarize(experiment["runs"])), "",
        "```", compare_command(settings, f"results/{name}"), "```",
    ]
    for picture in ("curves", "summary"):
        if (Path(root) / "results" / name / f"{picture}.png").is_file():
            lines += ["", f"![{name} {picture}](../results/{name}/{picture}.png)"]
    return "\n".join(lines)


def render_docs(text: str, found: dict[str, dict], root: Path) -> str:
    """``text`` with each experiment's generated block replaced (or appended under its own heading)."""
    text = text or DOCS_HEADER
    for name, experiment in found.items():
        begin, end = _markers(name)
        block = f"{begin}\n{render_block(name, experiment, root)}\n{end}"
        pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
        if pattern.search(text):
            text = pattern.sub(lambda _: block, text)
        else:
            text = text.rstrip("\n") + f"\n\n## {name}\n\n{block}\n"
    return text


def sync_results_docs(root: Path, check: bool = False) -> Optional[str]:
    """Regenerate docs/results.md's tables from results/ (or, with ``check``, say how they differ)."""
    path = Path(root) / DOCS
    current = path.read_text(encoding="utf-8") if path.is_file() else ""
    wanted = render_docs(current, experiments(root), root)
    if wanted == current or (not current and not experiments(root)):
        return None
    if check:
        return f"{path} is out of date with results/; run `python -m tools.registry`"
    atomic_write_bytes(path, wanted.encode())
    return None


# --- zoo list --results -----------------------------------------------------------------------

def list_with_results(rows: list[dict], as_json: bool) -> None:
    import click

    results = reference_results(SOURCE_ROOT)
    for row in rows:
        row["results"] = results.get(row["name"])
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    width = max((len(r["name"]) for r in rows), default=0)
    for row in rows:
        result = row["results"]
        shown = "-" if not result else (
            f"{result['data']} test {result['metric']} {_pm(result['test_mean'], result['test_std'])} "
            f"(valid {_pm(result['valid_mean'], result['valid_std'])}, {result['seeds']} seeds; {result['source']})")
        click.echo(f"{row['name']:<{width}}  {row['task']:<9} {shown}")
