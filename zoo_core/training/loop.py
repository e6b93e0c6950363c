"""The trainer: AdamW, gradient clipping, validation every epoch, early stopping, best weights kept.

Short enough to read in one sitting (after nanoGPT's train.py); every knob is in TrainingConfig.
"""
from __future__ import annotations

import contextlib
import json
import math
import random
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Optional

import torch

from zoo_core.io.store import atomic_write_bytes
from zoo_core.training.distributed import ProcessGroup, SyncedModel
from zoo_core.training.precision import autocast, check_precision, grad_scaler
from zoo_core.training.transfer import frozen_at, parameter_groups, set_frozen


def seed_everything(seed: int) -> random.Random:
    torch.manual_seed(seed)
    return random.Random(seed)


def is_better(value: float, best: Optional[float], higher_is_better: bool) -> bool:
    if best is None:
        return True
    return value > best if higher_is_better else value < best


def write_jsonl(path: Path, rows: list[dict]) -> None:
    atomic_write_bytes(path, "".join(json.dumps(row) + "\n" for row in rows).encode())


def fit(model, train, valid, *, metrics_file: Optional[Path] = None, progress: bool = True,
        on_epoch: Optional[Callable[[dict], None]] = None, group: Optional[ProcessGroup] = None) -> dict:
    """Train ``model`` on encoded ``train`` examples, choosing weights on ``valid``; return a summary.

    With a distributed ``group`` every process trains a DDP copy on its share of each epoch; rank 0
    alone validates, prints and writes metrics, and its score decides early stopping for all.
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
    optimizer = torch.optim.AdamW(groups, lr=settings.lr, weight_decay=settings.weight_decay)
    scaler = grad_scaler(settings.precision, device)
    show = progress and group.is_main
    deadline = time.monotonic() + settings.max_minutes * 60 if settings.max_minutes else math.inf
    history: list[dict] = []
    best_value, best_state, best_epoch, stale = None, None, 0, 0
    stop_reason, started = "epochs", time.monotonic()

    def optimizer_step() -> None:
        if settings.clip_norm:
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(model.parameters(), settings.clip_norm)
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad(set_to_none=True)

    try:
        for epoch in range(1, settings.epochs + 1):
            set_frozen(model, frozen_at(epoch, frozen_parts, settings.unfreeze_every))
            model.train()
            carry, total_loss, total_tokens, micro_batches, steps = None, 0.0, 0, 0, 0
            epoch_start = time.perf_counter()
            batches = task.train_batches(train, settings.batch_size, device, rng, group.rank, group.world_size)
            known = task.num_batches(train, settings.batch_size)
            # A bar redrawn into a log file is noise; the per-epoch line below reports progress there.
            bar = tqdm(with_last_flag(batches), desc=f"epoch {epoch}/{settings.epochs}", unit="batch",
                       disable=not (show and sys.stderr.isatty()), file=sys.stderr, leave=False, mininterval=0.5,
                       total=None if known is None else -(-known // group.world_size))
            with uneven_shares(trained):
                for batch, is_last in bar:
                    micro_batches += 1
                    ends_step = micro_batches % settings.accumulate == 0 or is_last
                    # Gradients sync across processes once per optimizer step, not per micro-batch.
                    with no_sync(trained, skip=not ends_step):
                        with autocast(settings.precision, device):
                            loss, carry = task.train_step(trained, batch, carry)
                        scaler.scale(loss / settings.accumulate).backward()
                    total_loss += loss.item()
                    total_tokens += task.count_tokens(batch)
                    if not ends_step:
                        continue
                    optimizer_step()
                    steps += 1
                    if show and steps % 10 == 0:
                        rate = total_tokens / max(time.perf_counter() - epoch_start, 1e-9)
                        bar.set_postfix(loss=f"{total_loss / micro_batches:.4f}", tok_s=f"{rate:,.0f}", refresh=False)
                    if time.monotonic() > deadline:
                        break
            bar.close()
            seconds = time.perf_counter() - epoch_start
            # Steps are taken together (gradients sync), so each process's count is the run's.
            total_loss, micro_batches, total_tokens = group.sum([total_loss, micro_batches, total_tokens], device)
            row = {"epoch": epoch, "train_loss": total_loss / max(micro_batches, 1),
                   "tokens_per_s": total_tokens / max(seconds, 1e-9), "seconds": seconds,
                   "elapsed": time.monotonic() - started, "optimizer_steps": int(steps),
                   "processes": group.world_size, "precision": settings.precision, "accumulate": settings.accumulate}
            if valid and group.is_main:
                row.update({f"valid_{k}": v for k, v in task.evaluate(model, valid).items()})
            history.append(row)
            if metrics_file and group.is_main:
                write_jsonl(metrics_file, history)
            if on_epoch and group.is_main:
                on_epoch(row)
            if show:
                shown = ", ".join(f"{k}={v:.4f}" for k, v in row.items() if k.startswith("valid_"))
                print(f"epoch {epoch}: train_loss={row['train_loss']:.4f} {shown} ({row['tokens_per_s']:,.0f} tok/s)",
                      file=sys.stderr)
            value = row.get(f"valid_{task.primary_metric}", -row["train_loss"] if task.higher_is_better else row["train_loss"])
            value = group.from_main(value, device)  # the other processes did not validate
            if is_better(value, best_value, task.higher_is_better):
                best_value, best_epoch, stale = value, epoch, 0
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            else:
                stale += 1
                if settings.patience and stale >= settings.patience:
                    stop_reason = "early stopping"
                    break
            if group.any(time.monotonic() > deadline, device):
                stop_reason = "time budget"
                break
    except KeyboardInterrupt:
        stop_reason = "interrupted"
        print("interrupted: keeping the best weights so far", file=sys.stderr)
    if best_state is not None:
        model.load_state_dict(best_state)
    set_frozen(model, set())  # the returned model is whole again (fine-tuning it further starts unfrozen)
    model.eval()
    return {
        "epochs": len(history), "best_epoch": best_epoch, "stopped": stop_reason,
        "best_metric": f"valid_{task.primary_metric}" if valid else "train_loss",
        "best_value": best_value, "seconds": time.monotonic() - started, "history": history,
        "optimizer_steps": sum(row["optimizer_steps"] for row in history),
        "processes": group.world_size, "precision": settings.precision, "accumulate": settings.accumulate,
    }


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
