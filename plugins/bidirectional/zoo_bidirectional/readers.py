"""CoNLL column files and CoNLL-U (Universal Dependencies) into tagged sentences (pure Python).

Every problem becomes one DataError naming the file and line.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from zoo_core.plugin import DataError, read_text

CONLLU_FIELDS = ("id", "form", "lemma", "upos", "xpos", "feats", "head", "deprel", "deps", "misc")


@dataclass(frozen=True)
class TaggedSentence:
    """Words with their tags; ``source`` is "file:line" of the sentence's first word."""

    tokens: tuple[str, ...]
    tags: tuple[str, ...]
    source: str


def detect_format(path: Path, format: str = "auto") -> str:
    if format in ("conll", "conllu"):
        return format
    if format not in (None, "auto"):
        raise DataError(f"--format {format}: the tag task reads conll or conllu files")
    name = path.name.lower().removesuffix(".gz")  # x.conllu.gz is CoNLL-U too
    return "conllu" if name.endswith(".conllu") else "conll"


def read_tagged(path, format: str = "auto", token_column: Optional[int] = None,
                tag_column: Optional[int] = None) -> list[TaggedSentence]:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file; give a CoNLL or CoNLL-U file to --data")
    text = read_text(path)  # .gz read as it is, a BOM dropped, bytes that are not UTF-8 an error naming the line
    if detect_format(path, format) == "conllu":
        return read_conllu_text(text, str(path), 1 if token_column is None else token_column,
                                3 if tag_column is None else tag_column)
    return read_conll_text(text, str(path), 0 if token_column is None else token_column,
                           -1 if tag_column is None else tag_column)


def column_index(path: str, number: int, column: int, width: int, what: str) -> int:
    if not -width <= column < width:
        raise DataError(f"{path}:{number}: the {what} column {column} does not exist in a line of {width} columns; "
                        f"pick one of 0..{width - 1} (--text-field / --label-field)")
    return column % width


def read_conll_text(text: str, path: str, token_column: int = 0, tag_column: int = -1) -> list[TaggedSentence]:
    """Whitespace-separated columns, a blank line between sentences, -DOCSTART- lines skipped."""
    sentences: list[TaggedSentence] = []
    tokens: list[str] = []
    tags: list[str] = []
    width, first_line, start = None, 0, 0

    def close():
        if tokens:
            sentences.append(TaggedSentence(tuple(tokens), tuple(tags), f"{path}:{start}"))
            tokens.clear()
            tags.clear()

    for number, line in enumerate(text.splitlines(), 1):
        columns = line.split()
        if not columns:
            close()
            continue
        if columns[0] == "-DOCSTART-":
            close()
            continue
        if width is None:
            width, first_line = len(columns), number
            token_column = column_index(path, number, token_column, width, "token")
            tag_column = column_index(path, number, tag_column, width, "tag")
        elif len(columns) != width:
            raise DataError(f"{path}:{number}: {len(columns)} columns where line {first_line} has {width}; "
                            "every token line needs the same columns (blank line between sentences)")
        if not tokens:
            start = number
        tokens.append(columns[token_column])
        tags.append(columns[tag_column])
    close()
    return sentences


_RANGE = re.compile(r"^(\d+)-(\d+)$")
_EMPTY_NODE = re.compile(r"^\d+\.\d+$")


def read_conllu_text(text: str, path: str, token_column: int = 1, tag_column: int = 3) -> list[TaggedSentence]:
    """Ten tab-separated fields; multiword-token lines (3-4) and empty nodes (5.1) are skipped, since
    the words they cover have their own lines; IDs must count 1, 2, 3... within each sentence."""
    sentences: list[TaggedSentence] = []
    tokens: list[str] = []
    tags: list[str] = []
    expected, range_end, start = 1, 0, 0
    token_column = column_index(path, 1, token_column, 10, "token")
    tag_column = column_index(path, 1, tag_column, 10, "tag")

    def close(number: int):
        nonlocal expected, range_end
        if range_end >= expected:
            raise DataError(f"{path}:{number}: the sentence ends inside multiword token range ending at {range_end}; "
                            "fix the range or add the missing words")
        if tokens:
            sentences.append(TaggedSentence(tuple(tokens), tuple(tags), f"{path}:{start}"))
        tokens.clear()
        tags.clear()
        expected, range_end = 1, 0

    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            close(number)
            continue
        if line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 10:
            raise DataError(f"{path}:{number}: {len(fields)} tab-separated fields; CoNLL-U lines have 10 "
                            f"({', '.join(CONLLU_FIELDS).upper()})")
        word_id = fields[0]
        if _EMPTY_NODE.match(word_id):
            continue
        span = _RANGE.match(word_id)
        if span:
            first, last = int(span.group(1)), int(span.group(2))
            if first != expected or last <= first:
                raise DataError(f"{path}:{number}: broken multiword token range '{word_id}'; expected a range "
                                f"starting at {expected} and ending after it")
            range_end = last
            continue
        if not word_id.isdigit() or int(word_id) != expected:
            raise DataError(f"{path}:{number}: word ID '{word_id}' where {expected} was expected; "
                            "IDs count 1, 2, 3... within each sentence")
        if not tokens:
            start = number
        tokens.append(fields[token_column])
        tags.append(fields[tag_column])
        expected += 1
    close(len(lines) + 1)
    return sentences
