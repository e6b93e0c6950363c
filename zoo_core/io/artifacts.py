"""The model file format: one .safetensors file whose metadata (strings; JSON where structured) holds
everything needed to rebuild the model. Reading it needs no torch and never runs code from the file.

Format 2 (zoo-core 0.x since issue 14) adds two checksums to the metadata: ``zoo.sha256.weights`` (of the
tensor data, every byte after the header) and ``zoo.sha256.header`` (of the header as canonical JSON, tensor
table and metadata, without this key), so a changed byte anywhere is reported instead of loaded. Format 1
files (no checksums) still load, with a warning that a changed byte cannot be detected there.
"""
from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path
from typing import Any

from zoo_core._version import __version__
from zoo_core.errors import ArtifactError, one_line
from zoo_core.io.store import atomic_target, list_stored, open_regular, read_header_bytes

FORMAT_VERSION = "2"
READABLE_VERSIONS = ("1", "2")
REQUIRED_KEYS = ("zoo.format_version", "zoo.architecture", "zoo.task", "zoo.config", "zoo.vocabs")
WEIGHTS_KEY, HEADER_KEY = "zoo.sha256.weights", "zoo.sha256.header"
CHECKSUM_KEYS = (WEIGHTS_KEY, HEADER_KEY)
#: Structured metadata and the JSON type each must have (absent optional keys are skipped).
JSON_TYPES = {"zoo.config": dict, "zoo.vocabs": dict, "zoo.plugins": list, "zoo.training": dict}
DTYPES = ("BOOL", "U8", "I8", "U16", "I16", "U32", "I32", "U64", "I64", "F16", "BF16", "F32", "F64",
          "F8_E4M3", "F8_E5M2", "C64")
HASH_BLOCK = 1 << 20


def read_metadata(path: Path) -> dict:
    """The zoo metadata of a model file, checked without torch: a regular safetensors file, a table of
    strings, every required key, a readable format version, the header checksum, JSON values of the
    right types. The weights' checksum is checked by :func:`verify_weights` (it reads the whole file)."""
    header, _, _ = read_checked_header(path)
    return header["__metadata__"]


def read_checked_header(path: Path) -> tuple[dict, int, str]:
    """(header, data start, header sha256) of a zoo model file after every check of :func:`read_metadata`."""
    header, data_start = parse_header(path)
    metadata = header.get("__metadata__")
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise ArtifactError(f"{path}: not a zoo model (its safetensors metadata is not a table of strings)")
    missing = [key for key in REQUIRED_KEYS if key not in metadata]
    if missing:
        raise ArtifactError(f"{path}: a safetensors file, but not a zoo model (no {missing[0]} metadata)")
    version = metadata["zoo.format_version"]
    if version not in READABLE_VERSIONS:
        raise ArtifactError(f"{path}: model format version {shown(version)} is not supported by zoo-core "
                            f"{__version__} (formats {', '.join(READABLE_VERSIONS)}); upgrade zoo-core")
    digest = header_digest(header)
    if HEADER_KEY in metadata or WEIGHTS_KEY in metadata or version != "1":
        for key in CHECKSUM_KEYS:
            if key not in metadata:
                raise ArtifactError(f"{path}: the {key} checksum is missing from a format {shown(version)} model "
                                    "file; the file was changed after saving: save or download it again")
        if metadata[HEADER_KEY] != digest:
            raise ArtifactError(f"{path}: the file's header (config, vocabularies or tensor table) changed after "
                                "saving (sha256 does not match); save or download it again")
    else:
        warnings.warn(f"{path} is a format 1 model file, saved before checksums: it loads, but a changed byte "
                      "cannot be detected; save it again (zoo_core.load(...).save(...)) to add them", stacklevel=3)
    check_tensor_table(header, path)
    for key, kind in JSON_TYPES.items():
        if key in metadata:
            metadata_json(metadata, key, path, kind)
    return header, data_start, digest


def metadata_json(metadata: dict, key: str, path: Path, kind: type = dict) -> Any:
    """The JSON value of metadata ``key``, of type ``kind``, or one line saying it is not."""
    try:
        value = json.loads(metadata.get(key, "[]" if kind is list else "{}"))
    except (json.JSONDecodeError, RecursionError, ValueError):
        raise ArtifactError(f"{path}: corrupt {key} metadata (not JSON, or nested too deep)") from None
    if not isinstance(value, kind):
        raise ArtifactError(f"{path}: corrupt {key} metadata (a {type(value).__name__}, not a "
                            f"{'list' if kind is list else 'table'})")
    if key == "zoo.vocabs" and not all(isinstance(tokens, list) and all(isinstance(t, str) for t in tokens)
                                       for tokens in value.values()):
        raise ArtifactError(f"{path}: corrupt zoo.vocabs metadata (each vocabulary must be a list of strings)")
    if key == "zoo.plugins" and not all(
            isinstance(entry, dict) and all(isinstance(entry.get(field, ""), str) for field in
                                            ("plugin", "distribution", "entry_point", "version"))
            and isinstance(entry.get("provides", []), list) and all(isinstance(p, str) for p in entry.get("provides", []))
            for entry in value):
        raise ArtifactError(f"{path}: corrupt zoo.plugins metadata (each entry must be a table of strings with a "
                            "list of what it provides)")
    return value


def check_tensor_table(header: dict, path: Path) -> None:
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if not (isinstance(entry, dict) and entry.get("dtype") in DTYPES and isinstance(entry.get("shape"), list)
                and isinstance(entry.get("data_offsets"), list)):
            raise ArtifactError(f"{path}: corrupt tensor table (entry {shown(name)}); save or download it again")


def parse_header(path: Path) -> tuple[dict, int]:
    """(header, offset where the tensor data starts); only a regular file is opened, JSON nested too deep or a
    header that is not one JSON table followed by spaces (safetensors' padding) is refused."""
    raw = read_header_bytes(path)
    try:
        text = raw.decode("utf-8")
        header, end = json.JSONDecoder().raw_decode(text)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError, ValueError):
        raise ArtifactError(f"{path}: not a safetensors file (unreadable header); give a model saved by "
                            "`zoo train`") from None
    if not isinstance(header, dict):
        raise ArtifactError(f"{path}: not a safetensors file (header is not a table)")
    if text[end:].strip(" ") or not text.startswith("{"):
        raise ArtifactError(f"{path}: not a safetensors file (bytes around its header); save or download it again")
    return header, 8 + len(raw)


def header_digest(header: dict) -> str:
    """sha256 of the header as canonical JSON (sorted keys, no spaces), without the header checksum itself."""
    metadata = {k: v for k, v in (header.get("__metadata__") or {}).items() if k != HEADER_KEY} \
        if isinstance(header.get("__metadata__"), dict) else header.get("__metadata__")
    canonical = {**header, "__metadata__": metadata}
    return hashlib.sha256(json.dumps(canonical, sort_keys=True, separators=(",", ":"),
                                     ensure_ascii=False).encode("utf-8")).hexdigest()


def data_digest(path: Path, data_start: int) -> str:
    digest = hashlib.sha256()
    with open_regular(path) as file:
        file.seek(data_start)
        while block := file.read(HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def verify_weights(path: Path, header: dict | None = None, data_start: int | None = None) -> dict:
    """The metadata, after checking the weights' sha256 too (reads the whole file once); ``header`` and
    ``data_start`` from :func:`read_checked_header` when the caller has them."""
    if header is None or data_start is None:
        header, data_start, _ = read_checked_header(path)
    metadata = header["__metadata__"]
    if WEIGHTS_KEY in metadata and data_digest(path, data_start) != metadata[WEIGHTS_KEY]:
        raise ArtifactError(f"{path}: the weights changed after saving (sha256 does not match); the file is "
                            "damaged: save or download it again")
    return metadata


def seal(path: Path) -> None:
    """Write the format-2 checksums into the metadata of the safetensors file at ``path`` (in place, atomically).
    One pass over the data: a digest is always 64 characters, so the header is written with placeholders of
    that length, the data copied and hashed after it, then the header rewritten with the real digests."""
    path = Path(path)
    header, data_start = parse_header(path)
    metadata = dict(header.get("__metadata__") or {})

    def encoded_header(weights: str) -> bytes:
        metadata.pop(HEADER_KEY, None)
        metadata[WEIGHTS_KEY] = weights
        header["__metadata__"] = metadata
        metadata[HEADER_KEY] = header_digest(header)
        encoded = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        return encoded + b" " * (-len(encoded) % 8)  # safetensors aligns the data to 8 bytes

    placeholder = encoded_header("0" * 64)
    digest = hashlib.sha256()
    with atomic_target(path) as temporary, open(temporary, "wb") as out, open_regular(path) as source:
        out.write(len(placeholder).to_bytes(8, "little"))
        out.write(placeholder)
        source.seek(data_start)
        while block := source.read(HASH_BLOCK):
            digest.update(block)
            out.write(block)
        final = encoded_header(digest.hexdigest())
        assert len(final) == len(placeholder)  # same lengths: the digests are fixed-size hex
        out.seek(8)
        out.write(final)


def shown(value) -> str:
    """A value from a file, as it may appear in a message: one line, no control characters, at most 80."""
    text = one_line(str(value))
    return text if len(text) <= 80 else text[:77] + "..."


def checked_rows() -> list[dict]:
    """`zoo models`: the store's rows (`io.store.list_stored`), each readable one also checked as a model file
    (required keys, format, header checksum, metadata types): a file that fails is a row with ``error``. Every
    text from a file is made printable. The weights' checksum is not read here (it reads every byte)."""
    rows = list_stored()
    for row in rows:
        if "error" not in row:
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    read_metadata(Path(row["path"]))
                row["checksums"] = not caught  # a format 1 file has none
            except ArtifactError as error:
                row["error"] = str(error)
            except (OSError, ValueError, TypeError, RecursionError) as error:
                row["error"] = f"{row['path']}: unreadable ({error})"
        for key in ("name", "architecture", "task", "metric", "error"):
            if isinstance(row.get(key), str):
                row[key] = shown(row[key]) if key != "error" else one_line(row[key])
    return rows
