"""A run's claim on its output name: ``.NAME.lock`` beside the model, created exclusively at the start of
training (so a second run to the same name is refused at once) and removed when the run ends. A lock whose
process is gone (killed, crashed) is stale: the next run takes it over and removes what the dead run left
(its temporary files)."""
from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from typing import Optional

from zoo_core.errors import ArtifactError, ZooError
from zoo_core.io.store import SUFFIX, atomic_write_bytes, metrics_path, read_header

#: Longest store name: the longest file derived from it (".NAME.metrics.jsonl.XXXXXXXX.tmp") must fit in the
#: 255 bytes most file systems allow for one name.
MAX_NAME_LENGTH = 200


class NameInUseError(ZooError):
    """Another live run is writing this model."""


def stem(model_file: Path) -> str:
    return model_file.name[: -len(SUFFIX)] if model_file.name.endswith(SUFFIX) else model_file.name


def lock_path(model_file: Path) -> Path:
    return model_file.with_name(f".{stem(model_file)}.lock")


def check_output(model_file: Path) -> None:
    """Before any data is read: the name is not too long and its folder can be written (made if missing)."""
    name = stem(model_file)
    if len(name.encode()) > MAX_NAME_LENGTH:
        raise ArtifactError(f"--out: the name '{name[:40]}...' is {len(name.encode())} bytes; use at most "
                            f"{MAX_NAME_LENGTH}")
    folder = model_file.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ArtifactError(f"cannot write models to {folder}: {error.strerror or error}; set ZOO_HOME to a "
                            "writable folder or give --out a writable path") from None
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise ArtifactError(f"cannot write models to {folder}: not a writable folder; set ZOO_HOME to a writable "
                            "folder or give --out a writable path")


def _holder(lock: Path) -> Optional[dict]:
    try:
        return json.loads(lock.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _alive(holder: Optional[dict]) -> bool:
    """Whether the process that wrote the lock still runs (on another machine: assumed to)."""
    if not holder or not isinstance(holder.get("pid"), int):
        return False  # unreadable: a run died while writing it
    if holder.get("host") != socket.gethostname():
        return True
    try:
        os.kill(holder["pid"], 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Reservation:
    """``with Reservation(model_file, run_id):`` holds the name for the block."""

    def __init__(self, model_file: Path, run_id: str):
        self.model_file, self.run_id, self.lock = model_file, run_id, lock_path(model_file)
        self.held = False

    def __enter__(self) -> "Reservation":
        record = json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "run": self.run_id,
                             "started": time.time()})
        for _ in range(2):
            try:
                descriptor = os.open(self.lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = _holder(self.lock)
                if _alive(holder):
                    since = time.strftime("%H:%M:%S", time.localtime(holder.get("started", 0)))
                    raise NameInUseError(
                        f"model '{stem(self.model_file)}' is being trained by process {holder['pid']} on "
                        f"{holder['host']} (since {since}); wait for it to finish or pick another --out") from None
                self.lock.unlink(missing_ok=True)  # stale: its process is gone
                continue
            except OSError as error:
                raise ArtifactError(f"cannot write models to {self.lock.parent}: {error.strerror or error}; set "
                                    "ZOO_HOME to a writable folder") from None
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(record)
            self.held = True
            remove_leftovers(self.model_file)
            repair_metrics(self.model_file)
            return self
        raise NameInUseError(f"model '{stem(self.model_file)}': another run took the name just now; try again")

    def __exit__(self, *exc) -> None:
        if self.held and _holder(self.lock) and _holder(self.lock).get("run") == self.run_id:
            self.lock.unlink(missing_ok=True)
        self.held = False


def remove_leftovers(model_file: Path) -> list[Path]:
    """Temporary files of this name left by a run that died (only called while holding its lock)."""
    name = stem(model_file)
    removed = []
    for pattern in (f".{name}{SUFFIX}.*.tmp", f".{name}.metrics.jsonl.*.tmp", f".{name}.checkpoint.*.tmp"):
        for path in model_file.parent.glob(pattern):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def repair_metrics(model_file: Path) -> bool:
    """Make the metrics file beside a model the model's own again if a run died between publishing the two
    (the model file holds its history; the metrics file is a copy). True if it was rewritten."""
    if not model_file.is_file():
        return False
    try:
        history = json.loads(read_header(model_file).get("__metadata__", {}).get("zoo.training", "{}")).get("history")
    except (ArtifactError, ValueError, AttributeError):
        return False
    if not isinstance(history, list):
        return False
    metrics = metrics_path(model_file)
    expected = "".join(json.dumps(row) + "\n" for row in history)
    if metrics.is_file() and metrics.read_text(encoding="utf-8") == expected:
        return False
    atomic_write_bytes(metrics, expected.encode())
    return True
