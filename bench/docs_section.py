"""Put a generated block between two marker lines of a markdown file (appended the first time); atomic."""
from __future__ import annotations

import os
from pathlib import Path


def replace_section(path: Path, text: str, markers: tuple[str, str]) -> None:
    document = path.read_text()
    start, end = markers
    block = f"{start}\n{text}\n{end}"
    if start in document:
        before, rest = document.split(start, 1)
        document = before + block + rest.split(end, 1)[1]
    else:
        document = document.rstrip("\n") + "\n\n" + block + "\n"
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(document)
    os.replace(temporary, path)
