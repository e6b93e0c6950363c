"""The trainer: AdamW, a learning-rate schedule, gradient clipping, validation every epoch, early stopping,
best weights kept, and a checkpoint after every epoch (and every ``training.checkpoint_minutes``) from which
a run resumes exactly where it stopped.

Short enough to read in one sitting (after nanoGPT's train.py); every knob is in TrainingConfig.
"""
from __future__ import annotations

import contextlib
import itertools
import json
import math
import random
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Optional

import torch

from zoo_core.io.store import atomic_write_bytes
from zoo_core.training.checkpoints import as_random_state, capture_rng, restore_rng, save_checkpoint
from zoo_core.training.distributed import ProcessGroup, SyncedModel
from zoo_core.training.precision import autocast, check_precision, grad_scaler
from zoo_core.training.schedules import build_scheduler, current_lr, step_each_epoch, steps_per_epoch
from zoo_core.training.transfer import frozen_at, parameter_groups, set_frozen

#: Seconds between progress lines when stderr is not a terminal (a log file gets no progress bar).
PROGRESS_SECONDS = 30.0


def seed_everything(seed: int) -> random.Random:
    torch.manual_seed(seed)
    return random.Random(seed)


def is_better(value: float, best: Optional[float], higher_is_better: bool) -> bool:
    if best is None:
        return True
    return value > best if higher_is_better else value < best


def write_jsonl(path: Path, rows: list[dict]) -> None:
    atomic_write_bytes(path, "".join(json.dumps(row) + "\n" for row in rows).encode())


@dataclass
class Position:
    """Where a run stands: what a checkpoint stores besides tensors. ``epoch`` is the epoch under way (or the
    next to start), of which ``batches_done`` micro-batches are trained."""

    epoch: int = 1
    batches_done: int = 0
    steps: int = 0
    total_loss: float = 0.0
    total_tokens: int = 0
    epoch_seconds: float = 0.0
    global_step: int = 0
    elapsed: float = 0.0
    best_value: Optional[float] = None
    best_epoch: int = 0
    stale: int = 0
    finished: Optional[str] = None
    history: list = field(default_factory=list)

    def next_epoch(self, stopping: Optional[str]) -> None:
        self.epoch += 1
        self.batches_done, self.steps, self.total_loss, self.total_tokens, self.epoch_seconds = 0, 0, 0.0, 0, 0.0
        self.finished = stopping


@dataclass
class Stopped:
    """Why the loop ended early: ``reason`` for the summary, ``detail`` for the user."""

    reason: str
    detail: str = ""


def fit(model, train, valid, *, progress: bool = True, on_epoch: Optional[Callable[[dict], None]] = None,
        group: Optional[ProcessGroup] = None, checkpoint: Optional[Path] = None, resume: Optional[dict] = None,
        stop=None, run_info: Optional[dict] = None, tracker=None) -> dict:
    """Train ``model`` on encoded ``train`` examples, choosing weights on ``valid``; return a summary.

    ``checkpoint``: where to write checkpoints (each epoch, and every ``training.checkpoint_minutes``);
    ``resume``: a loaded checkpoint to continue from; ``stop``: a StopSignals whose first signal ends the run
    after the current step with a checkpoint; ``run_info``: JSON stored in each checkpoint (the config);
    ``tracker``: receives each epoch's row and each step's learning rate (training/tracking.py).

    With a distributed ``group`` every process trains a DDP copy on its share of each epoch; rank 0
    alone validates, prints and writes metrics and checkpoints, and its score decides early stopping for all.
    """
    from tqdm.auto import tqdm

    task, settings = model.task, model.config.training
    group = group or ProcessGroup()
    rng = seed_everything(settings.seed)
    device = model.device
    check_precision(settings.precision, device)
    trained = SyncedModel(model, device) if group.active else model
    groups = parameter_groups(model, settings.lr, settings.lr_multipliers)
    frozen_parts = [*settings.freeze, *(["embedding"] if model.config.embedding.freeze else [])]
    optimizer = adamw(groups, settings, device)
    scaler = grad_scaler(settings.precision, device)
    known = task.num_batches(train, settings.batch_size)
    per_epoch = steps_per_epoch(known, group.world_size, settings.accumulate)
    scheduler = build_scheduler(optimizer, settings.schedule, None if per_epoch is None else per_epoch * settings.epochs,
                                task.higher_is_better)
    show = progress and group.is_main
    at, best_state, carry, saved_rng = Position(), None, None, None
    if resume:
        at = Position(**resume["position"])
        model.load_state_dict(resume["model"])
        optimizer.load_state_dict(resume["optimizer"])
        scheduler.load_state_dict(resume["scheduler"])
        scaler.load_state_dict(resume["scaler"])
        best_state, carry, saved_rng = resume["best"], move(resume["carry"], device), resume["rng"]
        rng.setstate(as_random_state(saved_rng["data"]))
    epoch_rng = rng.getstate()
    started = time.monotonic() - at.elapsed
    deadline = started + settings.max_minutes * 60 if settings.max_minutes else math.inf
    checkpoint_every = settings.checkpoint_minutes * 60 if settings.checkpoint_minutes and not group.active else None
    next_checkpoint = time.monotonic() + checkpoint_every if checkpoint_every else math.inf
    ended: Optional[Stopped] = Stopped(at.finished) if at.finished else None
    last_line, partial = time.monotonic(), False

    def write_checkpoint() -> None:
        if checkpoint is None or not group.is_main:
            return
        at.elapsed = time.monotonic() - started
        save_checkpoint(checkpoint, {
            **(run_info or {}), "position": asdict(at), "model": model.state_dict(), "best": best_state,
            "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(), "scaler": scaler.state_dict(),
            "rng": capture_rng(epoch_rng), "carry": carry})

    def optimizer_step() -> None:
        if settings.clip_norm:
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(model.parameters(), settings.clip_norm)
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad(set_to_none=True)
        if not step_each_epoch(scheduler):
            scheduler.step()

    for epoch in range(at.epoch, settings.epochs + 1) if ended is None else ():
        set_frozen(model, frozen_at(epoch, frozen_parts, settings.unfreeze_every))
        model.train()
        if at.batches_done:  # resuming within this epoch: the same data order, from the same batch
            rng.setstate(epoch_rng)
        else:
            carry, epoch_rng = None, rng.getstate()
        epoch_start = time.perf_counter() - at.epoch_seconds
        batches = with_last_flag(task.train_batches(train, settings.batch_size, device, rng, group.rank,
                                                    group.world_size))
        skip, partial = at.batches_done, False
        if skip:
            for _ in itertools.islice(batches, skip):
                pass
        if saved_rng is not None:  # after the skipped batches drew what they draw, as they did the first time
            restore_rng(saved_rng)
            saved_rng = None
        # A bar redrawn into a log file is noise; a line every PROGRESS_SECONDS reports progress there.
        bar = tqdm(batches, desc=f"epoch {epoch}/{settings.epochs}", unit="batch", initial=skip,
                   disable=not (show and sys.stderr.isatty()), file=sys.stderr, leave=False, mininterval=0.5,
                   total=None if known is None else -(-known // group.world_size))
        with uneven_shares(trained):
            for batch, is_last in bar:
                at.batches_done += 1
                ends_step = at.batches_done % settings.accumulate == 0 or is_last
                # Gradients sync across processes once per optimizer step, not per micro-batch.
                with no_sync(trained, skip=not ends_step):
                    with autocast(settings.precision, device):
                        loss, carry = task.train_step(trained, batch, carry)
                    scaler.scale(loss / settings.accumulate).backward()
                value = loss.item()
                if not math.isfinite(value):
                    ended = Stopped("non-finite loss", diverged(value, epoch, at.global_step + 1, settings))
                    break
                at.total_loss += value
                at.total_tokens += task.count_tokens(batch)
                if not ends_step:
                    continue
                optimizer_step()
                at.steps += 1
                at.global_step += 1
                if tracker is not None and group.is_main:
                    tracker.step(at.global_step, {"lr": current_lr(optimizer), "train_loss_step": value})
                if show and (at.steps % 10 == 0 or not sys.stderr.isatty()):
                    rate = at.total_tokens / max(time.perf_counter() - epoch_start, 1e-9)
                    mean = at.total_loss / at.batches_done
                    bar.set_postfix(loss=f"{mean:.4f}", tok_s=f"{rate:,.0f}", refresh=False)
                    if not sys.stderr.isatty() and time.monotonic() - last_line >= PROGRESS_SECONDS:
                        last_line = time.monotonic()
                        print(f"epoch {epoch} step {at.global_step}: loss={mean:.4f} ({rate:,.0f} tok/s)",
                              file=sys.stderr, flush=True)
                if time.monotonic() > deadline:
                    partial = not is_last
                    break
                if stop is not None and stop.received:
                    if not group.active:  # stop here; the checkpoint resumes at the next batch
                        at.epoch_seconds = time.perf_counter() - epoch_start
                        write_checkpoint()
                        ended = Stopped(f"signal {stop.received.name}")
                    partial = not is_last  # several processes: each ends its share; the epoch ends for all
                    break
                if time.monotonic() >= next_checkpoint:
                    at.epoch_seconds = time.perf_counter() - epoch_start
                    write_checkpoint()
                    next_checkpoint = time.monotonic() + checkpoint_every
        bar.close()
        if ended is not None and not group.active:
            break
        if group.any(ended is not None, device):  # one process's non-finite loss stops all of them
            ended = ended or Stopped("non-finite loss", "another process's loss was not finite")
            break
        seconds = time.perf_counter() - epoch_start
        # Steps are taken together (gradients sync), so each process's count is the run's.
        total_loss, micro_batches, total_tokens = group.sum([at.total_loss, at.batches_done, at.total_tokens], device)
        row = {"epoch": epoch, "train_loss": total_loss / max(micro_batches, 1),
               "tokens_per_s": total_tokens / max(seconds, 1e-9), "seconds": seconds,
               "elapsed": time.monotonic() - started, "optimizer_steps": int(at.steps), "lr": current_lr(optimizer),
               "processes": group.world_size, "precision": settings.precision, "accumulate": settings.accumulate}
        if partial:
            row["partial"] = True
        if valid and group.is_main:
            row.update({f"valid_{k}": v for k, v in task.evaluate(model, valid).items()})
        at.history.append(row)
        if on_epoch and group.is_main:
            on_epoch(row)
        if tracker is not None and group.is_main:
            tracker.epoch(at.global_step, row)
        if show:
            shown = ", ".join(f"{k}={v:.4f}" for k, v in row.items() if k.startswith("valid_"))
            print(f"epoch {epoch}: train_loss={row['train_loss']:.4f} {shown} ({row['tokens_per_s']:,.0f} tok/s)",
                  file=sys.stderr)
        value = row.get(f"valid_{task.primary_metric}", -row["train_loss"] if task.higher_is_better else row["train_loss"])
        value = group.from_main(value, device)  # the other processes did not validate
        if step_each_epoch(scheduler):
            scheduler.step(value)
        if is_better(value, at.best_value, task.higher_is_better):
            at.best_value, at.best_epoch, at.stale = value, epoch, 0
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            at.stale += 1
            if settings.patience and at.stale >= settings.patience:
                ended = Stopped("early stopping", f"no better {metric_name(task, valid)} for {at.stale} epochs")
        if ended is None and group.any(time.monotonic() > deadline, device):
            ended = Stopped("time budget", f"{settings.max_minutes:g} minutes")
        if ended is None and stop is not None and group.any(stop.received is not None, device):
            ended = Stopped(f"signal {stop.received.name if stop.received else 'from another process'}")
        at.next_epoch(ended.reason if ended else None)
        carry, epoch_rng = None, rng.getstate()
        write_checkpoint()
        if ended is not None:
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    set_frozen(model, set())  # the returned model is whole again (fine-tuning it further starts unfrozen)
    model.eval()
    last = at.history[-1] if at.history else {}
    return {
        "epochs": len(at.history), "best_epoch": at.best_epoch, "stopped": ended.reason if ended else "epochs",
        "stop_detail": ended.detail if ended else f"{settings.epochs} epochs done",
        "last_epoch_partial": bool(last.get("partial")) or (ended is not None and at.batches_done > 0),
        "best_metric": metric_name(task, valid), "best_value": at.best_value,
        "seconds": time.monotonic() - started, "history": at.history,
        "optimizer_steps": sum(row["optimizer_steps"] for row in at.history),
        "position": {"epoch": at.epoch, "batch": at.batches_done},
        "processes": group.world_size, "precision": settings.precision, "accumulate": settings.accumulate,
    }


#: Devices where AdamW runs as one fused kernel over all parameters. On the CPU torch's default is a Python
#: loop over parameters: 11 ms a step against 1.9 ms fused for lstm-classifier (docs/benchmarks.md, issue 20).
FUSED_ADAMW_DEVICES = ("cpu", "cuda")


def adamw(groups: list[dict], settings, device) -> torch.optim.AdamW:
    """AdamW over ``groups``; fused where torch has the kernel (the same update, in one pass over the weights)."""
    fused = torch.device(device).type in FUSED_ADAMW_DEVICES and all(
        p.is_floating_point() for group in groups for p in group["params"])
    return torch.optim.AdamW(groups, lr=settings.lr, weight_decay=settings.weight_decay, fused=fused or None)


def metric_name(task, valid) -> str:
    return f"valid_{task.primary_metric}" if valid else "train_loss"


def diverged(value: float, epoch: int, step: int, settings) -> str:
    """The one line for a loss that is nan or inf, with the settings that most often cause it."""
    return (f"the training loss became {value} at epoch {epoch}, step {step}; likely cause: the learning rate "
            f"(training.lr={settings.lr:g}) or weight decay (training.weight_decay={settings.weight_decay:g}) is "
            "too large; lower them (or set training.clip_norm)")


def move(value: Any, device) -> Any:
    """A loaded carry (tensors nested in tuples and lists) on the training device."""
    if isinstance(value, torch.Tensor):
        return value.to(device)
    if isinstance(value, (tuple, list)):
        return type(value)(move(item, device) for item in value)
    if isinstance(value, dict):
        return {key: move(item, device) for key, item in value.items()}
    return value


def with_last_flag(items: Iterable) -> Iterator[tuple[Any, bool]]:
    """Each item with whether it is the last (one item of look-ahead), so a short final group still steps."""
    iterator = iter(items)
    try:
        current = next(iterator)
    except StopIteration:
        return
    for following in iterator:
        yield current, False
        current = following
    yield current, True


def no_sync(trained, skip: bool):
    """DDP's no_sync while gradients only accumulate; nothing for one process."""
    return trained.ddp.no_sync() if skip and isinstance(trained, SyncedModel) else contextlib.nullcontext()


def uneven_shares(trained):
    """DDP's join: a process whose share of the epoch ran out (or hit the time budget) keeps answering
    the others' gradient syncs instead of leaving them waiting."""
    return trained.ddp.join() if isinstance(trained, SyncedModel) else contextlib.nullcontext()
