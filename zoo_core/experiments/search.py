"""`zoo compare --search optuna`: Optuna samples the ``--grid`` values (``KEY=V1,V2`` a choice, ``KEY=LOW:HIGH``
a range) for ``--trials`` runs, and its median pruner stops runs whose validation score per epoch falls below
the median of earlier runs at the same epoch. The study lives in an RDB storage (``--storage``; default
``sqlite:///OUT/study.db``), so runs in other processes or machines can join it (Optuna's distributed mode,
docs/scale.md). Each trial is a `zoo compare` run (its own process); rows go into the same results files.

The study always maximizes: a score where lower is better (a loss) is reported negated."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from zoo_core.config.overrides import parse_set_options
from zoo_core.errors import ConfigError, ZooError
from zoo_core.experiments.compare import RunSpec, _merge, describe_row, execute, load_results, write_results
from zoo_core.experiments.pruning import median_pruner, optuna_module


def parse_space(options: tuple[str, ...] | list[str]) -> dict[str, tuple]:
    """``KEY=V1,V2`` -> ("choice", [values]); ``KEY=LOW:HIGH`` -> ("int"|"float", low, high)."""
    space = {}
    for option in options:
        key, sep, values = option.partition("=")
        if not sep or not key or not values:
            raise ConfigError(f"--grid {option!r}: expected KEY=V1,V2 or KEY=LOW:HIGH")
        if ":" in values and "," not in values:
            low, high = (parse_set_options([f"x={v}"])["x"] for v in values.split(":", 1))
            if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (low, high)) or low >= high:
                raise ConfigError(f"--grid {option!r}: a range is two numbers LOW:HIGH with LOW < HIGH")
            kind = "int" if isinstance(low, int) and isinstance(high, int) else "float"
            space[key] = (kind, low, high)
        else:
            space[key] = ("choice", [parse_set_options([f"x={v}"])["x"] for v in values.split(",")])
    return space


def suggest(trial, space: dict[str, tuple]) -> dict:
    """The trial's config changes, as nested overrides."""
    overrides: dict = {}
    for key, (kind, *bounds) in space.items():
        if kind == "choice":
            value = trial.suggest_categorical(key, bounds[0])
        elif kind == "int":
            value = trial.suggest_int(key, bounds[0], bounds[1])
        else:  # a float range spanning 100x or more is searched on a log scale
            low, high = bounds
            value = trial.suggest_float(key, low, high, log=low > 0 and high / low >= 100)
        overrides = _merge(overrides, parse_set_options([f"{key}={json.dumps(value)}"]))
    return overrides


@dataclass
class Search:
    architecture: str
    data: str
    out: Path
    space: dict
    trials: int
    storage: Optional[str] = None
    study_name: str = "zoo"
    budget: Optional[float] = None
    data_options: Optional[dict] = None
    common: Optional[dict] = None
    threads: Optional[int] = None

    @property
    def storage_url(self) -> str:
        return self.storage or f"sqlite:///{(self.out / 'study.db').resolve()}"

    @property
    def settings(self) -> dict:
        return {"architectures": [self.architecture], "search": "optuna", "storage": self.storage_url,
                "study": self.study_name, "space": {k: list(v) for k, v in self.space.items()},
                "data": self.data, "budget_minutes": self.budget, "threads": self.threads,
                "data_options": {k: v for k, v in (self.data_options or {}).items() if v}}

    def open_study(self, optuna):
        """The study, created by whichever process comes first; two creating the storage's tables at the same
        moment clash (one gets an IntegrityError), so the loser tries again and finds them."""
        for attempt in range(6):
            try:
                return optuna.create_study(
                    study_name=self.study_name, storage=self.storage_url, load_if_exists=True, direction="maximize",
                    pruner=median_pruner(optuna))
            except Exception as error:  # noqa: BLE001 - sqlalchemy's errors; the last one is reported below
                if attempt == 5:
                    raise ZooError(f"--storage {self.storage_url}: cannot open the study "
                                   f"({str(error).splitlines()[0][:200]})") from None
                time.sleep(0.2 * (attempt + 1))
        raise AssertionError("unreachable")

    def run(self, echo: Callable[[str], None] = print) -> list[dict]:
        optuna = optuna_module()
        self.out.mkdir(parents=True, exist_ok=True)
        study = self.open_study(optuna)
        rows = list(load_results(self.out).get("runs", []))
        for number in range(1, self.trials + 1):
            trial = study.ask()
            overrides = suggest(trial, self.space)
            spec = RunSpec(self.architecture, overrides, seed=0)
            echo(f"[{number}/{self.trials}] trial {trial.number}: {spec.label} ...")
            optuna_job = {"storage": self.storage_url, "study": self.study_name, "trial_id": trial._trial_id}
            row = execute(spec, self.data, self.budget, self.out / "runs", self.data_options or {}, self.common,
                          self.threads, extra={"optuna": optuna_job}, run_id=f"trial{trial.number}")
            row["trial"] = trial.number
            if row.get("status") == "ok" and row.get("pruned"):
                study.tell(trial, state=optuna.trial.TrialState.PRUNED)
                row["stopped"] = "pruned"
            elif row.get("status") == "ok" and row.get("best_valid") is not None:
                sign = 1 if row.get("higher_is_better", True) else -1
                study.tell(trial, sign * row["best_valid"])
            else:
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
            rows.append(row)
            write_results(self.out, self.settings, rows)
            echo(f"  {'pruned at epoch ' + str(row.get('epochs')) if row.get('pruned') else describe_row(row)}")
        complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
        if complete:
            echo(f"best of {len(study.trials)} trials in the study: trial {study.best_trial.number} "
                 f"{json.dumps(study.best_trial.params)}")
        return rows
