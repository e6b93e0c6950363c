"""Plain-text corpora for language models: a file or a folder of files, and the embedded default
corpus built from the Python standard library's source (every machine with Python has it).

Pure Python: no torch.
"""
from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

from zoo_core.plugin import DataError, read_text

TEXT_SUFFIXES = {".txt", ".md", ".rst", ".py", ".text", ""}  # each also as .gz (read_text decompresses)
STDLIB_CAP_BYTES = 3_000_000
STDLIB_SKIP = {"test", "tests", "site-packages", "dist-packages", "idlelib", "lib2to3", "__pycache__", "turtledemo"}


def read_corpus(path: str | Path, max_bytes: int) -> list[str]:
    """The documents of a text file, or of every text file under a folder (sorted by path)."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and text_suffix(p) in TEXT_SUFFIXES
                       and not any(part.startswith(".") for part in p.relative_to(path).parts))
        if not files:
            raise DataError(f"{path}: no text files (.txt, .md, .py...) in this folder; give a plain-text file or folder")
    elif path.is_file():
        files = [path]
    else:
        raise DataError(f"{path}: no such file or folder; give a plain-text file or a folder of them to --data")
    total = sum(p.stat().st_size for p in files)
    if total > max_bytes:
        raise DataError(f"{path}: {total / 1e6:.1f} MB of text is above data.max_corpus_mb "
                        f"({max_bytes / 1e6:.0f} MB); raise it with --set data.max_corpus_mb=N, "
                        "or read it as a stream with --stream (docs/scale.md)")
    return [universal_newlines(read_text(p), p) for p in files]


def text_suffix(path: Path) -> str:
    """The suffix that says what a file holds: notes.txt.gz is .txt."""
    return Path(path.name[:-3]).suffix.lower() if path.name.lower().endswith(".gz") else path.suffix.lower()


def universal_newlines(text: str, path: Path) -> str:
    """Lines end in \n whatever the file used: \r\n (Windows) and lone \r (old Mac) become \n, with a note, so
    a carriage return is never a character the model learns (nor a token that moves the split)."""
    crlf, cr = text.count("\r\n"), 0
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        cr = text.count("\r")
        text = text.replace("\r", "\n")
    if crlf or cr:
        endings = " and ".join(part for part in (f"{crlf:,} \\r\\n" if crlf else "", f"{cr:,} \\r" if cr else "") if part)
        print(f"zoo: note: {path}: {endings} line endings read as \\n", file=sys.stderr)
    return text


def stdlib_sources(cap_bytes: int = STDLIB_CAP_BYTES) -> list[Path]:
    """A deterministic selection of ASCII `*.py` files of the standard library, at most ``cap_bytes``."""
    root = Path(sysconfig.get_paths()["stdlib"])
    chosen, total = [], 0
    for path in sorted(root.rglob("*.py"), key=lambda p: p.relative_to(root).as_posix()):
        if STDLIB_SKIP & set(path.relative_to(root).parts) or path.name.startswith("test_"):
            continue
        data = path.read_bytes()
        if not data.isascii() or total + len(data) > cap_bytes:
            continue
        chosen.append(path)
        total += len(data)
    return chosen


def write_stdlib_corpus(directory: Path) -> Path:
    """Write the embedded corpus once (one file per Python version) and return its path."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    target = Path(directory) / f"python{version}-stdlib.txt"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        text = "".join(path.read_text(encoding="ascii") + "\n" for path in stdlib_sources())
        temporary = target.with_suffix(".tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(target)
    return target
