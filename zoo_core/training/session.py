"""One training run that loses nothing: the output name reserved while it runs, checkpoints to resume from,
SIGINT/SIGTERM answered with a checkpoint and the best weights, and the model published with its metrics.

``workflows.train`` drives it: ``TrainingRun(...)`` before any data is read, ``run.reserved()`` around the
whole run, ``run.fit(...)`` and ``run.publish(...)`` inside ``run.signals()``.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import sys
import uuid
from pathlib import Path
from typing import Optional

from zoo_core.errors import ConfigError, ZooError
from zoo_core.io.reservations import Reservation
from zoo_core.io.store import SUFFIX, atomic_target, metrics_path
from zoo_core.training.checkpoints import checkpoint_path, load_checkpoint
from zoo_core.training.distributed import ProcessGroup
from zoo_core.training.loop import fit
from zoo_core.training.signals import StopSignals
from zoo_core.training.tracking import open_tracker


class TrainingDivergedError(ZooError):
    """The loss became nan or inf before any epoch ended with finite weights."""


#: Settings a resumed run may change: how long it goes on, not what it trains.
RESUMABLE_CHANGES = {"epochs", "max_minutes", "checkpoint_minutes", "patience", "device"}


class TrainingRun:
    def __init__(self, target: Optional[Path], config, *, resume: bool = False, keep_checkpoints: bool = False,
                 group: Optional[ProcessGroup] = None, log: Optional[str] = None, on_epoch=None):
        self.target, self.config, self.resume, self.keep, self.log = target, config, resume, keep_checkpoints, log
        self.on_epoch = on_epoch
        self.group = group or ProcessGroup()
        self.run_id = uuid.uuid4().hex[:12]
        self.checkpoint = checkpoint_path(target) if target else None
        self.stop: Optional[StopSignals] = None
        if resume and target is None:
            raise ZooError("--resume continues the run saved under --out; give the same --out as the run to resume")
        if resume and not self.checkpoint.exists():
            raise ZooError(f"nothing to resume: no checkpoint {self.checkpoint} (it is removed when a run "
                           "completes); train without --resume")

    @contextlib.contextmanager
    def reserved(self):
        """The output name held for the block (by rank 0; the others write nothing)."""
        if self.target is None or not self.group.is_main:
            yield self
            return
        with Reservation(self.target, self.run_id):
            yield self

    @contextlib.contextmanager
    def signals(self):
        with StopSignals() as stop:
            self.stop = stop
            yield stop

    def fit(self, model, train, valid, *, progress: bool = True) -> dict:
        resumed = self._load_resume(model) if self.resume else None
        run_info = {"run_id": self.run_id, "config": self.config.to_dict(), "vocabs": vocab_digests(model.vocabs)}
        name = f"{self.target.name.removesuffix(SUFFIX) if self.target else self.config.architecture}-{self.run_id}"
        tracker = open_tracker(self.log, name, run_info["config"]) if self.group.is_main else None
        try:
            summary = fit(model, train, valid, progress=progress, group=self.group, checkpoint=self.checkpoint,
                          resume=resumed, stop=self.stop, run_info=run_info, tracker=tracker, on_epoch=self.on_epoch)
        finally:
            if tracker is not None:
                tracker.close()
        if summary["stopped"] == "non-finite loss":
            if self.checkpoint is not None and self.group.is_main:
                self.checkpoint.unlink(missing_ok=True)  # resuming would only diverge again
            if not summary["best_epoch"]:
                raise TrainingDivergedError(f"{summary['stop_detail']}; no epoch ended with finite weights, so "
                                            "nothing was saved")
            if self.group.is_main:
                print(f"{summary['stop_detail']}; keeping the best weights (epoch {summary['best_epoch']})",
                      file=sys.stderr)
        return summary

    def _load_resume(self, model) -> dict:
        state = load_checkpoint(self.checkpoint)
        stored, current = state.get("config", {}), self.config.to_dict()
        for key in sorted(set(stored) | set(current)):
            if key == "training":
                changed = [k for k in sorted(set(stored[key]) | set(current[key]))
                           if k not in RESUMABLE_CHANGES and stored[key].get(k) != current[key].get(k)]
                key = f"training.{changed[0]}" if changed else None
            elif stored.get(key) == current.get(key):
                key = None
            if key:
                raise ConfigError(f"--resume: {key} differs from the checkpoint's run ({self.checkpoint}); resume with "
                                  "the same settings, or train without --resume to start over")
        if state.get("vocabs") != vocab_digests(model.vocabs):
            raise ConfigError(f"--resume: the data gives other vocabularies than the checkpoint's run "
                              f"({self.checkpoint}); resume on the same data, or train without --resume")
        self.run_id = state.get("run_id", self.run_id)
        return state

    def publish(self, model, summary: dict) -> None:
        """Save the model with its metrics (both temporary files written first), then drop the checkpoint
        unless it is kept or the run was stopped to be resumed."""
        if self.target is None or not self.group.is_main:
            return
        history = summary.get("history", [])
        with atomic_target(metrics_path(self.target)) as metrics_temporary:
            Path(metrics_temporary).write_text("".join(json.dumps(row) + "\n" for row in history), encoding="utf-8")
            model.save(self.target)
        stopped_to_resume = str(summary.get("stopped", "")).startswith("signal")
        if not self.keep and not stopped_to_resume:
            self.checkpoint.unlink(missing_ok=True)

    def describe_stop(self, summary: dict) -> str:
        """The user's line for a run that a signal stopped: what was saved and how to go on."""
        where = summary.get("position", {})
        best = f"the best weights (epoch {summary['best_epoch']})" if summary.get("best_epoch") else "the weights"
        saved = f"saved {best} to {self.target} and a checkpoint" if self.target else "nothing saved (no --out)"
        return f"{summary['stopped']} at epoch {where.get('epoch')}, batch {where.get('batch')}: {saved}"


def vocab_digests(vocabs: dict) -> dict:
    """A short fingerprint of each vocabulary: a resumed run must see the same ones."""
    return {name: hashlib.sha256("\n".join(vocab.tokens).encode()).hexdigest()[:16] for name, vocab in vocabs.items()}


def announce_stop(run: TrainingRun, summary: dict) -> None:
    how = ("resume with the same command plus --resume (Python: zoo_core.train(..., resume=True))" if run.target
           else "add --out NAME to be able to resume")
    print(f"{run.describe_stop(summary)}; {how}", file=sys.stderr, flush=True)
