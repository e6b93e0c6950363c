"""Learning-rate schedules (`training.schedule`), built on torch.optim.lr_scheduler: constant, linear or
cosine decay after a linear warmup (LambdaLR, stepped once per optimizer step), or reduce-on-plateau
(ReduceLROnPlateau, stepped once per epoch with the validation score)."""
from __future__ import annotations

import math
from typing import Optional

import torch

from zoo_core.errors import ConfigError


def lr_factor(step: int, kind: str, warmup: int, total: int, min_ratio: float) -> float:
    """The multiplier of the base learning rate for optimizer step ``step`` (0 for the first step).

    Warmup: (step + 1) / warmup for the first ``warmup`` steps. Then, with progress
    p = (step - warmup) / (total - warmup): linear 1 - (1 - min_ratio) p; cosine
    min_ratio + (1 - min_ratio) (1 + cos(pi p)) / 2; constant 1.
    """
    if step < warmup:
        return (step + 1) / warmup
    if kind == "constant":
        return 1.0
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    if kind == "linear":
        return 1.0 - (1.0 - min_ratio) * progress
    return min_ratio + (1.0 - min_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))


def warmup_steps(schedule, total: Optional[int]) -> int:
    if schedule.warmup_fraction:
        if total is None:
            raise ConfigError("training.schedule.warmup_fraction needs the run's step count, unknown for streamed "
                              "data; give training.schedule.warmup_steps or training.schedule.total_steps")
        return max(1, round(schedule.warmup_fraction * total))
    return schedule.warmup_steps


def build_scheduler(optimizer: torch.optim.Optimizer, schedule, total_steps: Optional[int], higher_is_better: bool):
    """The scheduler for ``schedule`` (a ScheduleConfig); ``total_steps`` is the run's optimizer steps (None
    when unknown, e.g. streamed data)."""
    if schedule.type == "plateau":
        return torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, mode="max" if higher_is_better else "min", factor=schedule.factor, patience=schedule.patience)
    total = schedule.total_steps or total_steps
    if schedule.type in ("linear", "cosine") and total is None:
        raise ConfigError(f"training.schedule.type={schedule.type} decays over the run's steps, unknown for streamed "
                          "data; set training.schedule.total_steps")
    warmup = warmup_steps(schedule, total)
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: lr_factor(step, schedule.type, warmup, total or 0, schedule.min_lr_ratio))


def steps_per_epoch(num_batches: Optional[int], world_size: int, accumulate: int) -> Optional[int]:
    """Optimizer steps in one epoch: each process's share of the batches, grouped by ``accumulate``."""
    if num_batches is None:
        return None
    share = -(-num_batches // world_size)
    return -(-share // accumulate)


def step_each_epoch(scheduler) -> bool:
    return isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau)


def current_lr(optimizer: torch.optim.Optimizer) -> float:
    return optimizer.param_groups[0]["lr"]
