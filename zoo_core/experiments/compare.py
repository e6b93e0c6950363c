"""`zoo compare`: train several architectures and grid points on the same data, split and time
budget over several seeds, one process per run; results.csv/json are rewritten after every run,
so an interrupted comparison resumes where it stopped. Pure Python: torch loads only in the runs."""
from __future__ import annotations

import csv
import io
import itertools
import json
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from zoo_core.config.overrides import flatten, parse_set_options
from zoo_core.errors import ConfigError, ZooError
from zoo_core.experiments.training_reports import read_history
from zoo_core.io.store import atomic_write_bytes

RESULTS_JSON, RESULTS_CSV = "results.json", "results.csv"
CSV_FIELDS = ["run_id", "architecture", "overrides", "seed", "status", "error", "metric", "higher_is_better",
              "parameters", "best_valid", "test", "epochs", "best_epoch", "stopped", "wall_s", "tokens_per_s",
              "peak_memory_mb", "finished_at"]
# Settings that must match for a resumed comparison to be comparable with its finished rows.
SETTING_KEYS = ("data", "budget_minutes", "data_options", "set")


@dataclass
class RunSpec:
    architecture: str
    overrides: dict
    seed: int

    @property
    def label(self) -> str:
        """The configuration (architecture and overrides, without the seed)."""
        return config_label(self.architecture, self.overrides)

    @property
    def run_id(self) -> str:
        slug = re.sub(r"[^A-Za-z0-9._-]+", "-", self.label.replace(" ", "_")).strip("-")
        return f"{slug}-seed{self.seed}"


def config_label(architecture: str, overrides: dict) -> str:
    flat = flatten(overrides)
    return architecture + "".join(f" {k}={json.dumps(v)}" for k, v in flat.items())


def parse_grid(options: tuple[str, ...] | list[str]) -> list[dict]:
    """``["encoder.hidden_size=64,128", "head.pooling=max,mean"]`` -> every combination as nested overrides."""
    axes = []
    for option in options:
        key, sep, values = option.partition("=")
        if not sep or not key or not values:
            raise ConfigError(f"--grid {option!r}: expected KEY=V1,V2 (e.g. --grid encoder.hidden_size=64,128)")
        axes.append([(key, parse_set_options([f"{key}={v}"])) for v in values.split(",")])
    points = []
    for combination in itertools.product(*axes):
        point: dict = {}
        for _, nested in combination:
            point = _merge(point, nested)
        points.append(point)
    return points


def _merge(base: dict, extra: dict) -> dict:
    merged = dict(base)
    for key, value in extra.items():
        merged[key] = _merge(merged[key], value) if isinstance(value, dict) and isinstance(merged.get(key), dict) else value
    return merged


def plan_runs(architectures: list[str], grid: list[dict], seeds: int, first_seed: int = 0) -> list[RunSpec]:
    return [RunSpec(arch, point, first_seed + s) for arch in architectures for point in (grid or [{}])
            for s in range(seeds)]


# --- results files ---------------------------------------------------------------------------

def load_results(out: Path) -> dict:
    path = out / RESULTS_JSON
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ZooError(f"{path}: unreadable ({error}); move it away to start the comparison afresh") from None


def write_results(out: Path, settings: dict, rows: list[dict]) -> None:
    """Both files at once, each replaced atomically, so a kill never leaves half a file."""
    atomic_write_bytes(out / RESULTS_JSON, (json.dumps({"format": 1, "settings": settings, "runs": rows},
                                                       indent=1) + "\n").encode())
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "overrides": json.dumps(row.get("overrides", {})),
                         "test": json.dumps(row.get("test")) if row.get("test") else ""})
    atomic_write_bytes(out / RESULTS_CSV, buffer.getvalue().encode())


# --- one run ---------------------------------------------------------------------------------

def worker_command(spec: RunSpec, data: str, budget: Optional[float], model_file: Path, data_options: dict,
                   common: dict, threads: Optional[int] = None, extra: Optional[dict] = None) -> list[str]:
    training = {"seed": spec.seed, **({"max_minutes": budget} if budget else {})}
    job = {"architecture": spec.architecture, "data": data, "out": str(model_file),
           "overrides": _merge(_merge(common, spec.overrides), {"training": training}),
           "data_options": {k: v for k, v in data_options.items() if v is not None}, "threads": threads,
           **(extra or {})}
    return [sys.executable, "-m", "zoo_core.experiments.compare", json.dumps(job)]


def execute(spec: RunSpec, data: str, budget: Optional[float], runs_dir: Path, data_options: dict,
            common: Optional[dict] = None, threads: Optional[int] = None, extra: Optional[dict] = None,
            run_id: Optional[str] = None) -> dict:
    """Train one run in its own process; return its row (status ``failed`` with the error when it fails).
    ``extra``: more for the worker's job (an Optuna trial); ``run_id``: the run's name instead of the spec's."""
    runs_dir.mkdir(parents=True, exist_ok=True)
    run_id = run_id or spec.run_id
    model_file = runs_dir / f"{run_id}.safetensors"
    report_file = runs_dir / f"{run_id}.run.json"
    report_file.unlink(missing_ok=True)
    log_file = runs_dir / f"{run_id}.log"
    row = {"run_id": run_id, "architecture": spec.architecture, "overrides": spec.overrides, "seed": spec.seed,
           "config": spec.label}
    # Generous limit: the budget bounds training; evaluation, saving and start-up come on top.
    limit = budget * 60 * 2 + 300 if budget else None
    started = time.monotonic()
    with open(log_file, "wb") as log:
        # Same process group: Ctrl-C, or a kill of the whole group, stops the run with the comparison.
        process = subprocess.Popen(worker_command(spec, data, budget, model_file, data_options, common or {}, threads,
                                                  extra),
                                   stdout=log, stderr=subprocess.STDOUT)
        try:
            code = process.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            code = None
        except BaseException:
            process.kill()
            process.wait()
            raise
    row["wall_s"] = round(time.monotonic() - started, 2)
    row["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    if code == 0 and report_file.is_file():
        row.update(json.loads(report_file.read_text(encoding="utf-8")), status="ok", error="")
        return row
    if code is None:
        error = f"killed after {limit:.0f} s (budget {budget} min)"
    else:
        error = last_error_line(log_file) or f"exit status {code}"
    row.update(status="failed", error=error)
    return row


def last_error_line(log_file: Path) -> str:
    lines = [line.strip() for line in log_file.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith("zoo: error:") or "Error" in line.split(":")[0]:
            return line.removeprefix("zoo: error: ")
    return lines[-1] if lines else ""


# --- the comparison --------------------------------------------------------------------------

@dataclass
class Comparison:
    architectures: list[str]
    data: str
    out: Path
    grid: list[dict] = field(default_factory=list)
    seeds: int = 1
    budget: Optional[float] = None
    data_options: dict = field(default_factory=dict)
    common: dict = field(default_factory=dict)  # --set: config changes for every run
    threads: Optional[int] = None  # torch CPU threads per run (None: torch's default)
    retry_failed: bool = False

    @property
    def settings(self) -> dict:
        return {"architectures": self.architectures, "data": self.data, "grid": self.grid, "seeds": self.seeds,
                "budget_minutes": self.budget, "data_options": {k: v for k, v in self.data_options.items() if v},
                "set": flatten(self.common), "threads": self.threads}

    def run(self, echo: Callable[[str], None] = print) -> list[dict]:
        self.out.mkdir(parents=True, exist_ok=True)
        previous = load_results(self.out)
        old_settings = previous.get("settings", {})
        for key in SETTING_KEYS:
            if previous and old_settings.get(key) != self.settings[key]:
                raise ZooError(f"{self.out} holds a comparison with {key}={json.dumps(old_settings.get(key))}, "
                               f"not {json.dumps(self.settings[key])}; use another --out to compare afresh")
        done = {row["run_id"]: row for row in previous.get("runs", [])
                if row.get("status") == "ok" or not self.retry_failed}
        specs = plan_runs(self.architectures, self.grid, self.seeds)
        planned = {spec.run_id for spec in specs}
        # Rows of earlier invocations (other architectures or seeds) stay in the results.
        rows = [row for row in previous.get("runs", []) if row["run_id"] in done and row["run_id"] not in planned]
        skipped = sum(spec.run_id in done for spec in specs)
        if skipped:
            echo(f"resuming: {skipped} of {len(specs)} runs already done in {self.out / RESULTS_JSON}")
        for number, spec in enumerate(specs, 1):
            if spec.run_id in done:
                rows.append(done[spec.run_id])
                continue
            echo(f"[{number}/{len(specs)}] {spec.label} seed {spec.seed} ...")
            row = execute(spec, self.data, self.budget, self.out / "runs", self.data_options, self.common, self.threads)
            rows.append(row)
            write_results(self.out, self.settings, rows)
            echo(f"  {describe_row(row)}")
        write_results(self.out, self.settings, rows)
        return rows


def describe_row(row: dict) -> str:
    if row.get("status") != "ok":
        return f"failed: {row.get('error')}"
    test = row.get("test") or {}
    metric = row.get("metric", "metric")
    shown = f"valid {metric}={row['best_valid']:.4f}"
    if metric in test:
        shown += f", test {metric}={test[metric]:.4f}"
    return f"{shown}, {row.get('epochs')} epochs, {row['wall_s']:.0f} s"


# --- summaries -------------------------------------------------------------------------------

def spread(values: list[float]) -> tuple[Optional[float], Optional[float]]:
    if not values:
        return None, None
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def summarize(rows: list[dict]) -> list[dict]:
    """One entry per configuration: mean and standard deviation over seeds, best first by the task's metric."""
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(row.get("config") or config_label(row["architecture"], row.get("overrides", {})), []).append(row)
    summary = []
    for label, members in groups.items():
        ok = [r for r in members if r.get("status") == "ok"]
        metric = next((r["metric"] for r in ok), None)
        higher = next((r["higher_is_better"] for r in ok), True)
        valid_mean, valid_std = spread([r["best_valid"] for r in ok if r.get("best_valid") is not None])
        tests = [r["test"][metric] for r in ok if metric and metric in (r.get("test") or {})]
        test_mean, test_std = spread(tests)
        summary.append({
            "config": label, "architecture": members[0]["architecture"], "overrides": members[0].get("overrides", {}),
            "runs": len(members), "ok": len(ok), "metric": metric, "higher_is_better": higher,
            "valid_mean": valid_mean, "valid_std": valid_std, "test_mean": test_mean, "test_std": test_std,
            "parameters": ok[0].get("parameters") if ok else None,
            "epochs_mean": spread([r["epochs"] for r in ok])[0],
            "wall_s_mean": spread([r["wall_s"] for r in ok])[0],
            "tokens_per_s_mean": spread([r["tokens_per_s"] for r in ok if r.get("tokens_per_s")])[0],
            "peak_memory_mb_mean": spread([r["peak_memory_mb"] for r in ok if r.get("peak_memory_mb")])[0],
        })

    def order(entry):
        if entry["valid_mean"] is None:
            return (1, 0.0)
        return (0, -entry["valid_mean"] if entry["higher_is_better"] else entry["valid_mean"])

    return sorted(summary, key=order)


def _pm(mean, std, scale=1.0, digits=4) -> str:
    return "-" if mean is None else f"{mean * scale:.{digits}f} ± {std * scale:.{digits}f}"


def _number(value, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def table_rows(summary: list[dict]) -> tuple[list[str], list[list[str]]]:
    metric = next((s["metric"] for s in summary if s["metric"]), "metric")
    header = ["configuration", "runs ok", f"valid {metric}", f"test {metric}", "parameters", "epochs", "wall s",
              "tokens/s", "peak MB"]
    rows = [[s["config"], f"{s['ok']}/{s['runs']}", _pm(s["valid_mean"], s["valid_std"]),
             _pm(s["test_mean"], s["test_std"]), _number(s["parameters"], ","), _number(s["epochs_mean"], ".1f"),
             _number(s["wall_s_mean"], ".0f"), _number(s["tokens_per_s_mean"], ",.0f"),
             _number(s["peak_memory_mb_mean"], ",.0f")] for s in summary]
    return header, rows


def format_table(summary: list[dict]) -> str:
    header, rows = table_rows(summary)
    widths = [max(len(line[i]) for line in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in [header, *rows]]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:]])


def markdown_table(summary: list[dict]) -> str:
    header, rows = table_rows(summary)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(f"`{row[0]}`" if i == 0 else cell for i, cell in enumerate(row)) + " |"
              for row in rows]
    return "\n".join(lines)


def failures(rows: list[dict]) -> list[str]:
    return [f"{row['run_id']}: {row.get('error')}" for row in rows if row.get("status") != "ok"]


# --- the worker (one run, in its own process) ------------------------------------------------

def peak_memory_mb() -> float:
    """Peak resident memory of this process (and GPU memory when CUDA was used), in MB."""
    import resource

    import torch

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 if sys.platform != "darwin" else 1024 * 1024)
    if torch.cuda.is_available() and torch.cuda.max_memory_allocated():
        return torch.cuda.max_memory_allocated() / 2**20
    return rss


def worker(job: dict) -> None:
    """Train one run like `zoo train`, then write ``<model>.run.json`` (what the comparison records) beside it."""
    from zoo_core.experiments.pruning import Pruned  # light; the except clause below needs it on every run
    from zoo_core.workflows import train

    if job.get("threads"):
        import torch

        torch.set_num_threads(job["threads"])
    out = Path(job["out"])
    report_file = out.with_name(out.name.removesuffix(".safetensors") + ".run.json")
    on_epoch = None
    if job.get("optuna"):
        from zoo_core.experiments.pruning import pruning_callback
        from zoo_core.extension.registry import get_registry
        from zoo_core.workflows import resolve_config

        task = get_registry().task(resolve_config(job["architecture"], job["overrides"]).task).load()
        on_epoch = pruning_callback(job["optuna"], task.higher_is_better, f"valid_{task.primary_metric}")
    try:
        model = train(job["architecture"], job["data"], out=str(out), force=True, overrides=job["overrides"],
                      progress=False, on_epoch=on_epoch, **job["data_options"])
    except Pruned as pruned:  # the median pruner stopped it: a result, not a failure
        report = {"pruned": True, "epochs": pruned.epoch, "metric": task.primary_metric,
                  "higher_is_better": task.higher_is_better, "best_valid": None}
        atomic_write_bytes(report_file, json.dumps(report).encode())
        return
    summary = model.training_summary
    history = read_history(out)
    rates = [row["tokens_per_s"] for row in history if row.get("tokens_per_s")]
    report = {
        "metric": model.task.primary_metric, "higher_is_better": model.task.higher_is_better,
        "parameters": model.num_parameters(), "best_valid": summary.get("best_value"),
        "test": summary.get("test"), "epochs": summary.get("epochs"), "best_epoch": summary.get("best_epoch"),
        "stopped": summary.get("stopped"), "train_s": round(summary.get("seconds", 0.0), 2),
        "tokens_per_s": round(statistics.fmean(rates), 1) if rates else None,
        "peak_memory_mb": round(peak_memory_mb(), 1), "device": summary.get("device"),
        "history": [{k: v for k, v in row.items() if k in ("epoch", "elapsed", "train_loss") or k.startswith("valid_")}
                    for row in history],
    }
    atomic_write_bytes(report_file, json.dumps(report).encode())


if __name__ == "__main__":
    try:
        worker(json.loads(sys.argv[1]))
    except ZooError as error:
        print(f"zoo: error: {error}", file=sys.stderr)
        sys.exit(1)
