"""The trial side of `zoo compare --search optuna`: a run reports each epoch's validation score to its Optuna
trial (through the study's storage, from the run's own process) and stops when the median pruner says so."""
from __future__ import annotations

from zoo_core.errors import ConfigError

INSTALL = "pip install 'zoo-core[search]'"


def optuna_module():
    try:
        import optuna
    except ImportError:
        raise ConfigError(f"--search optuna needs the optuna package: {INSTALL}") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def median_pruner(optuna):
    """The pruner (a study's pruner is not stored with it: each process that opens the study gives it): prune
    from epoch 2 on (the first is noisy) once two trials have finished, below their median at the same epoch."""
    return optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=2)


def pruning_callback(job: dict, higher_is_better: bool, metric: str):
    """For the worker: report each epoch's validation score to the trial; raise Pruned when Optuna says so."""
    optuna = optuna_module()
    study = optuna.load_study(study_name=job["study"], storage=job["storage"], pruner=median_pruner(optuna))
    trial = optuna.trial.Trial(study, job["trial_id"])

    def on_epoch(row: dict) -> None:
        value = row.get(metric)
        if value is None:
            return
        trial.report(value if higher_is_better else -value, int(row["epoch"]))
        if trial.should_prune():
            raise Pruned(int(row["epoch"]))

    return on_epoch


class Pruned(Exception):
    """Optuna's median pruner stopped this trial after ``epoch``."""

    def __init__(self, epoch: int):
        super().__init__(f"pruned after epoch {epoch}")
        self.epoch = epoch
