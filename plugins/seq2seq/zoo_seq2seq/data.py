"""Sentence pairs: two aligned files, or a TSV with chosen columns; gzip or not (pure Python).

- aligned files: ``--data train.en,train.fr`` (source file, comma, target file), one sentence a line;
- TSV: ``--data pairs.tsv[.gz] --text-field 0 --label-field 1``: 0-based source and target columns
  (defaults 0 and 1), other columns (an attribution) ignored.
A pair with an empty side is skipped and counted. Without separate --valid/--test files the pairs
are split by the md5 of the source sentence (digit 0: test, 1: valid), so no source sentence is in
two splits (the rule of ../shared/data/README.md for Tatoeba).
"""
from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from zoo_core.plugin import BOS, EOS, PAD, UNK, DataError, read_text

# The target vocabulary starts with these, so the decoder's start and end ids are fixed.
TARGET_SPECIALS = (PAD, UNK, BOS, EOS)
BOS_ID, EOS_ID = 2, 3  # places of <s> and </s> in TARGET_SPECIALS


@dataclass(frozen=True)
class Pair:
    source: str
    target: str
    line: int  # 1-based line in its file
    origin: str


def warn(message: str) -> None:
    print(f"zoo: warning: {message}", file=sys.stderr)


def read_lines(path: Path) -> list[str]:
    """The lines of a file (.gz read as it is, a BOM dropped, \\r\\n read as \\n); bytes that are not UTF-8 are
    an error naming the file and line."""
    if not path.is_file():
        raise DataError(f"{path}: no such file; give a TSV of pairs or two aligned files as SOURCE,TARGET")
    lines = read_text(path).split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.rstrip("\r") for line in lines]


def column(value: Optional[str], default: int, flag: str) -> int:
    if value is None:
        return default
    try:
        index = int(value)
    except ValueError:
        raise DataError(f"{flag} {value!r}: give a 0-based column number of the TSV (e.g. {flag} {default})") from None
    if index < 0:
        raise DataError(f"{flag} {value}: columns are numbered from 0")
    return index


def read_pairs(path: str, source_field: Optional[str] = None, target_field: Optional[str] = None) -> list[Pair]:
    """Every non-empty pair of ``path`` (aligned "SOURCE,TARGET" files or a TSV)."""
    if "," in path and not Path(path).exists():
        source_path, _, target_path = path.partition(",")
        pairs = read_aligned(Path(source_path), Path(target_path))
    else:
        pairs = read_tsv(Path(path), column(source_field, 0, "--text-field"), column(target_field, 1, "--label-field"))
    kept = [pair for pair in pairs if pair.source.strip() and pair.target.strip()]
    if len(kept) < len(pairs):
        first = next(pair for pair in pairs if not (pair.source.strip() and pair.target.strip()))
        warn(f"{path}: skipped {len(pairs) - len(kept):,} pair(s) with an empty side (first at line {first.line})")
    return kept


def read_aligned(source_path: Path, target_path: Path) -> list[Pair]:
    sources, targets = read_lines(source_path), read_lines(target_path)
    if len(sources) != len(targets):
        raise DataError(f"{source_path} has {len(sources):,} lines but {target_path} has {len(targets):,}; "
                        "aligned files need one sentence a line, the same number in both")
    return [Pair(s, t, i + 1, str(source_path)) for i, (s, t) in enumerate(zip(sources, targets))]


def read_tsv(path: Path, source_column: int, target_column: int) -> list[Pair]:
    if source_column == target_column:
        raise DataError(f"{path}: source and target are both column {source_column}; give two different "
                        "--text-field and --label-field columns")
    needed = max(source_column, target_column) + 1
    pairs = []
    for number, line in enumerate(read_lines(path), 1):
        if not line.strip():
            pairs.append(Pair("", "", number, str(path)))
            continue
        fields = line.split("\t")
        if len(fields) < needed:
            raise DataError(f"{path}:{number}: {len(fields)} tab-separated column(s), need at least {needed} "
                            f"(source column {source_column}, target column {target_column})")
        pairs.append(Pair(fields[source_column].strip(), fields[target_column].strip(), number, str(path)))
    if not pairs:
        raise DataError(f"{path}: no sentence pairs; give a file with one SOURCE<TAB>TARGET a line")
    return pairs


def split_bucket(source: str) -> int:
    """0 to 9 from the md5 of the source sentence: 0 is test, 1 is valid, the rest train."""
    return int(hashlib.md5(source.encode("utf-8")).hexdigest(), 16) % 10


def within_words(pair: Pair, max_words: Optional[int]) -> bool:
    return max_words is None or (len(pair.source.split()) <= max_words and len(pair.target.split()) <= max_words)
