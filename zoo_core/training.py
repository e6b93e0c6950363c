"""The trainer: AdamW, gradient clipping, validation every epoch, early stopping, best weights kept.

Short enough to read in one sitting (after nanoGPT's train.py); every knob is in TrainingConfig.
"""
from __future__ import annotations

import json
import math
import random
import sys
import time
from pathlib import Path
from typing import Callable, Optional

import torch

from zoo_core.errors import ZooError


def select_device(name: str) -> torch.device:
    """auto: cuda, then mps, then cpu; a named device that is not there is an error."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ZooError(f"training.device={name}: CUDA is not available on this machine; use --device cpu or auto")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ZooError("training.device=mps: MPS is not available on this machine; use --device cpu or auto")
    return torch.device(name)


def seed_everything(seed: int) -> random.Random:
    torch.manual_seed(seed)
    return random.Random(seed)


def is_better(value: float, best: Optional[float], higher_is_better: bool) -> bool:
    if best is None:
        return True
    return value > best if higher_is_better else value < best


def write_jsonl(path: Path, rows: list[dict]) -> None:
    from zoo_core.store import atomic_write_bytes

    atomic_write_bytes(path, "".join(json.dumps(row) + "\n" for row in rows).encode())


def fit(model, train, valid, *, metrics_file: Optional[Path] = None, progress: bool = True,
        on_epoch: Optional[Callable[[dict], None]] = None) -> dict:
    """Train ``model`` on encoded ``train`` examples, choosing weights on ``valid``; return a summary."""
    from tqdm.auto import tqdm

    task, settings = model.task, model.config.training
    rng = seed_everything(settings.seed)
    device = model.device
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    deadline = time.monotonic() + settings.max_minutes * 60 if settings.max_minutes else math.inf
    history: list[dict] = []
    best_value, best_state, best_epoch, stale = None, None, 0, 0
    stop_reason, started = "epochs", time.monotonic()
    try:
        for epoch in range(1, settings.epochs + 1):
            model.train()
            carry, total_loss, total_tokens, steps = None, 0.0, 0, 0
            epoch_start = time.perf_counter()
            batches = task.batches(train, settings.batch_size, device, shuffle=True, rng=rng)
            # A bar redrawn into a log file is noise; the per-epoch line below reports progress there.
            bar = tqdm(batches, desc=f"epoch {epoch}/{settings.epochs}", unit="batch",
                       disable=not (progress and sys.stderr.isatty()),
                       total=task.num_batches(train, settings.batch_size),
                       file=sys.stderr, leave=False, mininterval=0.5)
            for batch in bar:
                loss, carry = task.train_step(model, batch, carry)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if settings.clip_norm:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), settings.clip_norm)
                optimizer.step()
                steps += 1
                total_loss += loss.item()
                total_tokens += task.count_tokens(batch)
                if progress and steps % 10 == 0:
                    rate = total_tokens / max(time.perf_counter() - epoch_start, 1e-9)
                    bar.set_postfix(loss=f"{total_loss / steps:.4f}", tok_s=f"{rate:,.0f}", refresh=False)
                if time.monotonic() > deadline:
                    break
            bar.close()
            seconds = time.perf_counter() - epoch_start
            row = {"epoch": epoch, "train_loss": total_loss / max(steps, 1), "tokens_per_s": total_tokens / max(seconds, 1e-9),
                   "seconds": seconds, "elapsed": time.monotonic() - started}
            if valid:
                row.update({f"valid_{k}": v for k, v in task.evaluate(model, valid).items()})
            history.append(row)
            if metrics_file:
                write_jsonl(metrics_file, history)
            if on_epoch:
                on_epoch(row)
            if progress:
                shown = ", ".join(f"{k}={v:.4f}" for k, v in row.items() if k.startswith("valid_"))
                print(f"epoch {epoch}: train_loss={row['train_loss']:.4f} {shown} ({row['tokens_per_s']:,.0f} tok/s)",
                      file=sys.stderr)
            value = row.get(f"valid_{task.primary_metric}", -row["train_loss"] if task.higher_is_better else row["train_loss"])
            if is_better(value, best_value, task.higher_is_better):
                best_value, best_epoch, stale = value, epoch, 0
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            else:
                stale += 1
                if settings.patience and stale >= settings.patience:
                    stop_reason = "early stopping"
                    break
            if time.monotonic() > deadline:
                stop_reason = "time budget"
                break
    except KeyboardInterrupt:
        stop_reason = "interrupted"
        print("interrupted: keeping the best weights so far", file=sys.stderr)
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return {
        "epochs": len(history), "best_epoch": best_epoch, "stopped": stop_reason,
        "best_metric": f"valid_{task.primary_metric}" if valid else "train_loss",
        "best_value": best_value, "seconds": time.monotonic() - started, "history": history,
    }
