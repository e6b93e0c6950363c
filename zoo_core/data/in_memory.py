"""Training data given as Python lists (`zoo_core.train(arch, data=[...])`), written to a temporary file in the
format the task's reader takes, so in-memory data is read, checked and split exactly as a file would be.

- classify: ``[(text, label), ...]`` or ``(texts, labels)``;
- tag: ``[(tokens, tags), ...]`` (lists of equal length) or ``(token_lists, tag_lists)``;
- seq2seq: ``[(source, target), ...]`` or ``(sources, targets)``;
- lm: ``[document, ...]`` (strings).
Pure Python: no torch.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from zoo_core.errors import DataError

WRITERS = ("classify", "tag", "seq2seq", "lm")


def is_in_memory(data) -> bool:
    return data is not None and not isinstance(data, (str, os.PathLike))


def pairs_of(data, what: tuple[str, str]) -> list[tuple]:
    """``[(a, b), ...]`` from a list of pairs, or from a tuple of two equally long lists (columns)."""
    if isinstance(data, tuple) and len(data) == 2 and all(isinstance(side, list) for side in data):  # columns
        first, second = data
        if len(first) != len(second):
            raise DataError(f"in-memory data: {len(first):,} {what[0]} but {len(second):,} {what[1]}; give one each")
        return list(zip(first, second))
    pairs = list(data)
    for number, pair in enumerate(pairs, 1):
        if not (isinstance(pair, (list, tuple)) and len(pair) == 2):
            raise DataError(f"in-memory data, item {number}: expected a ({what[0]}, {what[1]}) pair, got "
                            f"{type(pair).__name__}")
    return [tuple(pair) for pair in pairs]


def write_in_memory(data, task: str, directory: Path, name: str) -> str:
    """Write ``data`` for ``task`` under ``directory``; the path to give the task's reader."""
    directory.mkdir(parents=True, exist_ok=True)
    if task == "classify":
        path = directory / f"{name}.jsonl"
        rows = [json.dumps({"text": str(text), "label": str(label)}) for text, label in pairs_of(data, ("texts", "labels"))]
        path.write_text("".join(row + "\n" for row in rows), encoding="utf-8")
        return str(path)
    if task == "tag":
        path = directory / f"{name}.conll"
        lines = []
        for number, (tokens, tags) in enumerate(pairs_of(data, ("token lists", "tag lists")), 1):
            if isinstance(tokens, str) or isinstance(tags, str):
                raise DataError(f"in-memory data, sentence {number}: give its tokens and tags as lists of strings")
            tokens, tags = list(tokens), list(tags)
            if len(tokens) != len(tags) or not tokens:
                raise DataError(f"in-memory data, sentence {number}: {len(tokens)} tokens but {len(tags)} tags; "
                                "give one tag per token (and at least one token)")
            for token, tag in zip(tokens, tags):
                if not str(token).strip() or any(c.isspace() for c in f"{token}{tag}"):
                    raise DataError(f"in-memory data, sentence {number}: token {token!r} / tag {tag!r} is empty or "
                                    "holds whitespace; give tokens and tags without spaces")
                lines.append(f"{token} {tag}")
            lines.append("")
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return str(path)
    if task == "seq2seq":
        path = directory / f"{name}.tsv"
        rows = []
        for number, (source, target) in enumerate(pairs_of(data, ("sources", "targets")), 1):
            if any(c in f"{source}{target}" for c in "\t\n\r"):
                raise DataError(f"in-memory data, pair {number}: a tab or line break inside a sentence; remove it")
            rows.append(f"{source}\t{target}")
        path.write_text("".join(row + "\n" for row in rows), encoding="utf-8")
        return str(path)
    if task == "lm":
        documents = [data] if isinstance(data, str) else list(data)
        if not all(isinstance(document, str) for document in documents):
            raise DataError("in-memory data for a language model: give a list of strings (documents)")
        folder = directory / name
        folder.mkdir()
        for number, document in enumerate(documents):
            (folder / f"{number:08d}.txt").write_text(document, encoding="utf-8")
        return str(folder)
    raise TypeError(f"train(data=...): in-memory data works for the {', '.join(WRITERS)} tasks, not {task}; "
                    "give a path to a data file")
