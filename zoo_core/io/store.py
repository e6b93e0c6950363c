"""The local model store: ZOO_HOME (else a per-user data folder) holds models/NAME.safetensors
with its metrics beside it. Pure Python: listing models reads only the file headers."""
from __future__ import annotations

import contextlib
import json
import os
import re
import stat
import struct
import tempfile
from pathlib import Path
from typing import Iterator

from zoo_core.errors import ArtifactError, UnknownNameError

STORE_NAME = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*$")
SUFFIX = ".safetensors"
MAX_HEADER = 100 * 1024 * 1024


def zoo_home() -> Path:
    if os.environ.get("ZOO_HOME"):
        return Path(os.environ["ZOO_HOME"]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "zoo"


def models_dir() -> Path:
    return zoo_home() / "models"


def is_path(reference: str) -> bool:
    """A value with a path separator or ending in .safetensors is a file path; else a store name."""
    return "/" in reference or os.sep in reference or reference.endswith(SUFFIX)


def check_store_name(name: str) -> str:
    if not STORE_NAME.match(name) or name in (".", ".."):
        raise UnknownNameError(
            f"'{name}' is not a valid model name: use letters, digits, '.', '_' and '-', not starting with a dot "
            "(or give a path to a .safetensors file)"
        )
    return name


def model_path(reference: str) -> Path:
    """Where model ``reference`` (store name or path) lives."""
    if is_path(reference):
        return Path(reference).expanduser()
    return models_dir() / f"{check_store_name(reference)}{SUFFIX}"


def metrics_path(model_file: Path) -> Path:
    """Per-epoch metrics (JSONL) beside the model."""
    return model_file.with_name(model_file.name[: -len(SUFFIX)] + ".metrics.jsonl") if model_file.name.endswith(SUFFIX) \
        else model_file.with_name(model_file.name + ".metrics.jsonl")


def publish(temporary: str | Path, path: Path) -> None:
    """Move a finished temporary file into place, readable as a normally created file would be."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes files private (0600)
    os.replace(temporary, path)


@contextlib.contextmanager
def atomic_target(path: Path) -> Iterator[str]:
    """A temporary file beside ``path`` to write; it replaces ``path`` when the block ends without an error,
    and is removed when it fails, so ``path`` is always either the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        yield temporary
        publish(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: Path, data: bytes) -> None:
    with atomic_target(path) as temporary:
        Path(temporary).write_bytes(data)


def existing_model(reference: str) -> Path:
    """The file of model ``reference`` (store name or path), or one line saying there is none."""
    path = model_path(reference)
    if not path.exists():
        raise ArtifactError(f"no model '{reference}' (looked for {path}); `zoo models` lists saved models")
    return path


def open_regular(path: Path):
    """``path`` opened for reading in binary, only if it is a regular file: a FIFO, device or socket named
    like a model is refused without blocking (opened non-blocking, checked with fstat before any read)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise ArtifactError(f"{path}: no such model file (or a link to nothing); `zoo models` lists saved models") from None
    except IsADirectoryError:
        raise ArtifactError(f"{path}: is a folder, not a model file") from None
    except PermissionError:
        raise ArtifactError(f"{path}: not readable (permission denied); check the file's permissions") from None
    except OSError as error:
        raise ArtifactError(f"{path}: cannot open it ({error.strerror})") from None
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise ArtifactError(f"{path}: not a regular file (a pipe, device or folder); give a model file")
    if hasattr(os, "set_blocking"):
        os.set_blocking(descriptor, True)
    return os.fdopen(descriptor, "rb")


def read_header_bytes(path: Path) -> bytes:
    """The JSON header of a safetensors file as bytes (its size checked against the file's), without torch."""
    with open_regular(path) as file:
        prefix = file.read(8)
        if len(prefix) < 8:
            raise ArtifactError(f"{path}: not a safetensors file (too short); give a model saved by `zoo train`")
        (size,) = struct.unpack("<Q", prefix)
        if size > MAX_HEADER or size > os.fstat(file.fileno()).st_size - 8:
            raise ArtifactError(f"{path}: not a safetensors file, or truncated (bad header size); "
                                "give a model saved by `zoo train`")
        return file.read(size)


def read_header(path: Path) -> dict:
    """The JSON header of a safetensors file (tensor table and ``__metadata__``), without torch."""
    try:
        header = json.loads(read_header_bytes(path))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise ArtifactError(f"{path}: not a safetensors file (unreadable header); give a model saved by `zoo train`") from None
    if not isinstance(header, dict):
        raise ArtifactError(f"{path}: not a safetensors file (header is not a table)")
    return header


def list_stored() -> list[dict]:
    """Saved models with their architecture, task, best metric, size and date. A file that cannot be read
    (broken, a link to nothing, a pipe, wrong metadata) is a row with ``error`` saying why; listing never fails
    on one file. Only headers are read: `zoo_core.io.artifacts.checked_rows` adds the header checksum."""
    rows = []
    for path in sorted(models_dir().glob(f"*{SUFFIX}")):
        row = {"name": path.name[: -len(SUFFIX)], "path": str(path), "size": 0, "modified": 0.0,
               "architecture": "?", "task": "?", "metric": None, "value": None}
        try:
            info = path.stat()
            row.update(size=info.st_size, modified=info.st_mtime)
            metadata = read_header(path).get("__metadata__") or {}
            if not isinstance(metadata, dict):
                raise ArtifactError(f"{path}: not a zoo model (its metadata is not a table)")
            summary = json.loads(metadata.get("zoo.training", "{}"))
            summary = summary if isinstance(summary, dict) else {}
            value = summary.get("best_value")
            row.update(architecture=str(metadata.get("zoo.architecture", "?")), task=str(metadata.get("zoo.task", "?")),
                       metric=str(summary["best_metric"]) if "best_metric" in summary else None,
                       value=value if isinstance(value, (int, float)) and not isinstance(value, bool) else None)
        except FileNotFoundError:
            row["error"] = f"{path}: a link to nothing (dangling symlink); remove it with `zoo models rm {row['name']}`"
        except (ArtifactError, OSError, ValueError, TypeError, RecursionError) as error:  # JSONDecodeError too
            row["error"] = str(error) if isinstance(error, ArtifactError) else f"{path}: unreadable ({error})"
        rows.append(row)
    return rows


def remove(name: str) -> Path:
    path = model_path(check_store_name(name))
    if not path.exists() and not path.is_symlink():  # a dangling link can be removed too
        raise UnknownNameError(f"no saved model named '{name}'; `zoo models` lists them")
    path.unlink()
    metrics_path(path).unlink(missing_ok=True)
    return path
