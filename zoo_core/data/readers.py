"""Read text-classification data sets into `TextExample`s, and split them.

Pure Python on purpose: `zoo info` / `zoo list` and data checks must not pay
for importing torch. Every problem with the input becomes a one-line
`DataError` naming the file and line, because users meet these messages in a
terminal, not in a traceback.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from zoo_core.errors import DataError

FORMATS = ("csv", "tsv", "jsonl", "folder", "label-files")
_SUFFIX_FORMATS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
_FORMAT_LIST = ", ".join(FORMATS)


@dataclass(frozen=True)
class TextExample:
    """One text with its label (None when the data has no labels).

    `index` is the 0-based position within its own file (line index for
    label files, data-row index for csv/tsv/jsonl, sorted file index within a
    label folder); the split rule is defined on it.
    """

    text: str
    label: str | None
    index: int
    source: str


@dataclass
class Splits:
    """A data set's train, validation and test examples (of any task's example type)."""

    train: list = field(default_factory=list)
    valid: list = field(default_factory=list)
    test: list = field(default_factory=list)


# --- low-level reading -------------------------------------------------------


def read_text(path: Path) -> str:
    """Whole file as str; `.gz` transparently; a UTF-8 BOM is dropped."""
    try:
        if path.name.endswith(".gz"):
            with gzip.open(path, "rb") as f:
                data = f.read()
        else:
            data = path.read_bytes()
    except (OSError, EOFError) as e:  # gzip.BadGzipFile is an OSError
        raise DataError(f"{path}: cannot read file ({e}); check that it exists and is not corrupt") from None
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    try:
        return data[bom:].decode("utf-8")
    except UnicodeDecodeError as e:
        start = e.start + bom
        line = data.count(b"\n", 0, start) + 1
        where = " of the decompressed data" if path.name.endswith(".gz") else ""
        raise DataError(
            f"{path}:{line}: not valid UTF-8 (byte 0x{data[start]:02x} at byte offset {start}{where}); "
            "convert the file to UTF-8, e.g. with `iconv -f latin1 -t utf-8`"
        ) from None


def _lines(text: str) -> list[str]:
    # split("\n"), not splitlines(): the latter also breaks on \x0b, \x1c,
    # U+2028 ..., which would shift line indices away from `wc -l`'s.
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def _base_name(path: Path) -> str:
    """File name without a trailing `.gz`, lower-cased (for suffix checks)."""
    name = path.name.lower()
    return name[:-3] if name.endswith(".gz") else name


def _visible(entries) -> list[Path]:
    return sorted(p for p in entries if not p.name.startswith("."))


# --- format detection ----------------------------------------------------------


def _label_file_groups(directory: Path) -> dict[str, dict[str, Path]]:
    """Files `STEM.LABEL[.gz]` in `directory`, grouped as {stem: {label: path}}."""
    groups: dict[str, dict[str, Path]] = {}
    for p in _visible(directory.iterdir()):
        name = p.name[:-3] if p.name.endswith(".gz") else p.name
        stem, dot, label = name.rpartition(".")
        if p.is_file() and dot and stem and label:
            groups.setdefault(stem, {})[label] = p
    return groups


def _missing(path: Path) -> DataError:
    return DataError(f"{path}: no such file or directory; check the data path")


def detect_format(path) -> str:
    """Guess the format of `path` from its name and contents; one of FORMATS."""
    path = Path(path)
    suffix = "." + _base_name(path).rpartition(".")[2]
    if suffix in _SUFFIX_FORMATS and not path.is_dir():
        if not path.exists():
            raise _missing(path)
        return _SUFFIX_FORMATS[suffix]
    if path.is_dir():
        if any(p.is_dir() for p in _visible(path.iterdir())):
            return "folder"
        if any(len(g) >= 2 for g in _label_file_groups(path).values()):
            return "label-files"
    elif not path.exists():
        # A prefix such as `dir/rt-polarity` standing for `dir/rt-polarity.*`.
        if path.parent.is_dir() and len(_label_file_groups(path.parent).get(path.name, {})) >= 2:
            return "label-files"
        raise _missing(path)
    raise DataError(
        f"{path}: cannot tell the data format; name it with one of: {_FORMAT_LIST} "
        "(csv/tsv/jsonl are detected by suffix, folder is DIR/LABEL/*.txt, label-files is NAME.LABEL files)"
    )


# --- the readers ---------------------------------------------------------------


def _is_index(name) -> bool:
    return name is not None and str(name).isdigit()


def _row_examples(path, rows, text_field, label_field, header: bool) -> Iterator[TextExample]:
    """Turn (line number, fields) rows into examples, lazily; shared by csv and tsv."""
    label_name = "label" if label_field is None else label_field
    if _is_index(text_field) != _is_index(label_name):
        raise DataError(
            f"{path}: text field {text_field!r} and label field {label_field!r} mix a column number and "
            "a column name; give both as 0-based column numbers (no header) or both as header names"
        )
    if header:
        try:
            line, names = next(rows)
        except StopIteration:
            return
        cols = []
        for kind, name in (("text", text_field), ("label", label_field)):
            if name is None:
                cols.append(None)
            elif name in names:
                cols.append(names.index(name))
            else:
                raise DataError(
                    f"{path}:{line}: no {kind} column named {name!r} in the header {names[:20]}; "
                    f"set the {kind} field to one of the header's names"
                )
        width = len(names)
    else:
        cols = [int(text_field), None if label_field is None else int(label_field)]
        width = None
    text_col, label_col = cols
    for index, (line, row) in enumerate(rows):
        if width is None:  # no header: the first row fixes the width
            width = len(row)
            need = max(c for c in cols if c is not None) + 1
            if width < need:
                raise DataError(
                    f"{path}:{line}: row has {width} columns but column {need - 1} is asked for "
                    "(columns count from 0); check the text/label column numbers and the delimiter"
                )
        if len(row) != width:
            raise DataError(
                f"{path}:{line}: expected {width} columns, found {len(row)}; "
                "fix the row (quote fields that contain the delimiter)"
            )
        text = row[text_col]
        if not text.strip():
            raise DataError(f"{path}:{line}: empty text; remove the row or fill in its text")
        label = None
        if label_col is not None:
            label = row[label_col].strip()
            if not label:
                raise DataError(f"{path}:{line}: empty label; remove the row or fill in its label")
        yield TextExample(text, label, index, f"{path}:{line}")


def _read_csv(path, text_field, label_field):
    return list(_csv_examples(path, io.StringIO(read_text(path), newline=""), text_field, label_field))


def _csv_examples(path, handle, text_field, label_field) -> Iterator[TextExample]:
    reader = csv.reader(handle)

    def rows():
        while True:
            start = reader.line_num + 1  # a quoted field may span lines: report its first
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                raise DataError(f"{path}:{start}: malformed CSV ({e}); fix the quoting on that line") from None
            if row:  # csv gives [] for a blank line
                yield start, row

    return _row_examples(path, rows(), text_field, label_field, header=not _is_index(text_field))


def _read_tsv(path, text_field, label_field):
    return list(_tsv_examples(path, _lines(read_text(path)), text_field, label_field))


def _tsv_examples(path, lines: Iterable[str], text_field, label_field) -> Iterator[TextExample]:
    # TSV fields are not quoted: split each line on tabs, so quotes in text survive.
    rows = ((i + 1, line.split("\t")) for i, line in enumerate(lines) if line.strip())
    return _row_examples(path, rows, text_field, label_field, header=not _is_index(text_field))


def _read_jsonl(path, text_field, label_field):
    return list(_jsonl_examples(path, _lines(read_text(path)), text_field, label_field))


def _jsonl_examples(path, lines: Iterable[str], text_field, label_field) -> Iterator[TextExample]:
    index = 0
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        where = f"{path}:{i + 1}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise DataError(f"{where}: invalid JSON ({e.msg} at column {e.colno}); write one JSON object per line") from None
        if not isinstance(obj, dict):
            raise DataError(f"{where}: expected a JSON object, found {type(obj).__name__}; write one object per line")
        text = obj.get(text_field)
        if not isinstance(text, str) or not text.strip():
            raise DataError(
                f"{where}: missing or empty text field {text_field!r} (keys: {sorted(obj)[:20]}); "
                "set the text field to the key that holds the text"
            )
        label = None
        if label_field is not None:
            raw = obj.get(label_field)
            # Numeric labels (0/1) are common; they become the strings "0"/"1".
            if isinstance(raw, (str, int, float)) and not isinstance(raw, bool) and str(raw).strip():
                label = str(raw).strip()
            else:
                raise DataError(
                    f"{where}: missing or invalid label field {label_field!r} (found {raw!r}); "
                    "set the label field to the key that holds a string or number label"
                )
        yield TextExample(text, label, index, where)
        index += 1


def _read_folder(path: Path):
    out = []
    for label_dir in (p for p in _visible(path.iterdir()) if p.is_dir()):
        files = [p for p in _visible(label_dir.iterdir()) if p.is_file() and p.name.lower().endswith((".txt", ".txt.gz"))]
        for i, p in enumerate(files):  # index counts empty files too: it is the sorted-file index
            text = read_text(p).strip()
            if text:
                out.append(TextExample(text, label_dir.name, i, str(p)))
    return out


def _label_files(path: Path) -> dict[str, Path]:
    if path.is_dir():
        groups = _label_file_groups(path)
        multi = {s: g for s, g in groups.items() if len(g) >= 2} or groups
        if len(multi) == 1:
            return next(iter(multi.values()))
        if not multi:
            raise DataError(f"{path}: no label files (NAME.LABEL, e.g. reviews.pos and reviews.neg) in this directory")
        stems = ", ".join(f"{path / s}" for s in sorted(multi))
        raise DataError(f"{path}: several sets of label files ({stems}); pass one of those prefixes instead")
    if path.is_file():
        raise DataError(
            f"{path}: label-files takes the directory or the common prefix (e.g. {path.parent / path.stem}), "
            "not one of the files"
        )
    group = _label_file_groups(path.parent).get(path.name) if path.parent.is_dir() else None
    if not group:
        raise _missing(path)
    return group


def _read_label_files(path: Path):
    out = []
    for label, p in sorted(_label_files(path).items()):
        for i, line in enumerate(_lines(read_text(p))):
            # Blank lines are skipped but keep their index, so index == line index.
            text = line.rstrip()
            if text:
                out.append(TextExample(text, label, i, f"{p}:{i + 1}"))
    return out


def read_classification(path, format=None, text_field="text", label_field="label") -> list[TextExample]:
    """Read a classification data set.

    `format` is one of FORMATS, or None to detect it (see `detect_format`).
    For csv/tsv, fields are header names, or 0-based column numbers given as
    digit strings (then the file has no header). `label_field=None` reads
    unlabelled text (label None). Raises DataError on any problem.

    >>> read_classification("data/rt-polarity/rt-polarity")  # doctest: +SKIP
    """
    path = Path(path)
    if format is not None:
        format = str(format).strip().lower().replace("_", "-")
        if format == "ndjson":
            format = "jsonl"
        if format not in FORMATS:
            raise DataError(f"unknown data format {format!r}; use one of: {_FORMAT_LIST}")
    fmt = format or detect_format(path)
    if fmt in ("csv", "tsv", "jsonl"):
        if not path.is_file():
            raise _missing(path)
        reader = {"csv": _read_csv, "tsv": _read_tsv, "jsonl": _read_jsonl}[fmt]
        examples = reader(path, text_field, label_field)
    elif fmt == "folder":
        if not path.is_dir():
            raise _missing(path) if not path.exists() else DataError(f"{path}: folder format needs a directory DIR/LABEL/*.txt")
        examples = _read_folder(path)
    else:
        examples = _read_label_files(path)
    if not examples:
        raise DataError(f"{path}: no examples found (read as {fmt}); check the path, the format and that the files are not empty")
    return examples


def split_examples(examples, valid=None, test=None) -> Splits:
    """Split by each example's index: `index % 10 == 9` is test, `== 8` valid.

    This is the shared data README's rule for rt-polarity, applied per file.
    A split given explicitly (a list) is used as is and the rule no longer
    takes examples out for it; with both given, every example trains.
    """
    splits = Splits(valid=list(valid) if valid is not None else [], test=list(test) if test is not None else [])
    for ex in examples:
        getattr(splits, rule_split(ex.index, valid_given=valid is not None, test_given=test is not None)).append(ex)
    return splits


def rule_split(index: int, valid_given: bool = False, test_given: bool = False) -> str:
    """The split an example's index falls in: `index % 10 == 9` test, `== 8` valid, else train; a split
    given as its own file takes nothing from this one."""
    fold = index % 10
    if fold == 9 and not test_given:
        return "test"
    if fold == 8 and not valid_given:
        return "valid"
    return "train"


STREAM_FORMATS = ("csv", "tsv", "jsonl")


def stream_classification(path, format=None, text_field="text", label_field="label") -> Iterator[TextExample]:
    """The examples of a csv/tsv/jsonl file (gzip or not) read a line at a time: memory stays flat
    however large the file. Same rows, indices and errors as `read_classification`."""
    path = Path(path)
    fmt = format or detect_format(path)
    if fmt not in STREAM_FORMATS:
        raise DataError(f"{path}: streaming reads csv, tsv or jsonl files (this is {fmt}); "
                        "convert it, or train without --stream")
    if not path.is_file():
        raise _missing(path)
    try:
        with _open_text(path, fmt) as handle:
            if fmt == "csv":
                yield from _csv_examples(path, handle, text_field, label_field)
            else:
                lines = (line.rstrip("\n").removesuffix("\r") for line in handle)
                reader = _tsv_examples if fmt == "tsv" else _jsonl_examples
                yield from reader(path, lines, text_field, label_field)
    except UnicodeDecodeError as e:
        raise DataError(f"{path}: not valid UTF-8 ({e.reason}); convert the file to UTF-8, "
                        "e.g. with `iconv -f latin1 -t utf-8`") from None
    except (OSError, EOFError) as e:
        raise DataError(f"{path}: cannot read file ({e}); check that it exists and is not corrupt") from None


def _open_text(path: Path, fmt: str):
    """A text handle on a file, decompressing `.gz`; a BOM is dropped. Lines end only at \\n
    (as `_lines`), and the csv module gets the untranslated newlines it asks for."""
    raw = gzip.open(path, "rb") if path.name.endswith(".gz") else open(path, "rb")
    return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="" if fmt == "csv" else "\n")
