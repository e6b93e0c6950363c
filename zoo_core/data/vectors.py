"""Pretrained word vectors (`embedding.pretrained`): word2vec / GloVe text, fastText `.vec` (a "COUNT DIM" first
line), word2vec binary (`.bin`), each optionally gzipped.

A small reader rather than gensim's KeyedVectors: the formats are a few lines each, the zoo needs only the rows of
its own vocabulary (so it streams the file and keeps those), and gensim would add scipy and a compiled extension
to the core for this one job. Every problem is one line naming the file and line.
"""
from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

import numpy as np

from zoo_core.errors import DataError


@dataclass
class FoundVectors:
    """The vectors of the vocabulary's tokens that the file holds."""

    rows: dict[int, np.ndarray]  # vocabulary id -> vector
    dim: int
    file_words: int
    lowercase_matches: int  # tokens found only under another case


def open_binary(path: Path) -> BinaryIO:
    if not path.is_file():
        raise DataError(f"embedding.pretrained: {path} is not a file; give a word-vectors file "
                        "(word2vec/GloVe text, fastText .vec, word2vec .bin)")
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def is_binary(path: Path) -> bool:
    name = path.name[:-3] if path.name.endswith(".gz") else path.name
    return name.endswith(".bin")


def text_vectors(path: Path, handle: BinaryIO) -> Iterator[tuple[str, Callable[[], np.ndarray], int]]:
    """(word, its vector when called, line number) of a text file; a fastText-style "COUNT DIM" first line is skipped."""
    dim = None
    for number, raw in enumerate(handle, 1):
        try:
            line = raw.decode("utf-8").rstrip("\r\n").rstrip(" ")
        except UnicodeDecodeError:
            raise DataError(f"{path}:{number}: not UTF-8 text; give a text vectors file or a word2vec .bin") from None
        if not line:
            continue
        parts = line.split(" ")
        if number == 1 and len(parts) == 2 and all(p.isdigit() for p in parts):
            dim = int(parts[1])
            continue
        if dim is None:
            dim = len(parts) - 1
        if len(parts) - 1 != dim:
            raise DataError(f"{path}:{number}: {len(parts) - 1} values where the file's vectors have {dim}; "
                            "fix or remove that line")
        yield parts[0], lambda parts=parts, number=number: parse(path, parts, number), number


def parse(path: Path, parts: list[str], number: int) -> np.ndarray:
    """A text line's numbers, parsed only for the words the vocabulary wants (most of a big file is not)."""
    try:
        return np.asarray(parts[1:], dtype=np.float32)
    except ValueError:
        raise DataError(f"{path}:{number}: a value of '{parts[0][:40]}' is not a number") from None


def binary_vectors(path: Path, handle: BinaryIO) -> Iterator[tuple[str, Callable[[], np.ndarray], int]]:
    """(word, its vector when called, entry number) of a word2vec binary file: "COUNT DIM\\n", then word, space, DIM float32."""
    header = handle.readline().split()
    if len(header) != 2 or not all(part.isdigit() for part in header):
        raise DataError(f"{path}:1: not a word2vec binary file (no 'COUNT DIM' header); a text file should not end in .bin")
    count, dim = int(header[0]), int(header[1])
    for number in range(1, count + 1):
        word = bytearray()
        while (byte := handle.read(1)) not in (b" ", b""):
            if byte != b"\n":  # some writers end each vector with a newline
                word += byte
        data = handle.read(4 * dim)
        if len(data) < 4 * dim:
            raise DataError(f"{path}: entry {number} of {count} is cut short; the file is truncated")
        yield word.decode("utf-8", errors="replace"), lambda data=data: np.frombuffer(data, dtype="<f4").copy(), number


def find_vectors(path: str | Path, tokens: list[str]) -> FoundVectors:
    """The vectors for ``tokens`` (a vocabulary, by id). A token is looked up as it is, then in any case (the
    file's first match of that spelling wins)."""
    path = Path(path).expanduser()
    wanted: dict[str, list[int]] = {}  # token -> its ids
    lower_ids: dict[str, list[int]] = {}  # lower-cased token -> ids
    for index, token in enumerate(tokens):
        wanted.setdefault(token, []).append(index)
        lower_ids.setdefault(token.lower(), []).append(index)
    exact: dict[int, np.ndarray] = {}
    lowered: dict[int, np.ndarray] = {}
    dim, file_words = None, 0
    with open_binary(path) as handle:
        entries = binary_vectors(path, handle) if is_binary(path) else text_vectors(path, handle)
        for word, vector_of, _ in entries:
            file_words += 1
            exact_ids, lower_matches = wanted.get(word, ()), lower_ids.get(word.lower(), ())
            if not (exact_ids or lower_matches) and dim is not None:
                continue
            vector = vector_of()
            dim = dim or len(vector)
            for index in exact_ids:
                exact[index] = vector
            for index in lower_matches:
                lowered.setdefault(index, vector)
    if dim is None:
        raise DataError(f"{path}: no vectors in the file")
    rows = {**{i: v for i, v in lowered.items() if i not in exact}, **exact}
    return FoundVectors(rows, dim, file_words, lowercase_matches=len(rows) - len(exact))
