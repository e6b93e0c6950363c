"""Copy each file shown in docs/plugins.md (code blocks marked `<!-- file: PATH -->`) into the guide, verbatim.

    .venv/bin/python -m tools.sync_guide   # after changing the scaffold and regenerating docs/examples
"""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "plugins.md"
BLOCK = re.compile(r"(<!-- file: (\S+) -->\n```\w*\n)(.*?)(```)", flags=re.S)


def main() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    synced = BLOCK.sub(lambda m: m.group(1) + (ROOT / m.group(2)).read_text(encoding="utf-8") + m.group(4), text)
    GUIDE.write_text(synced, encoding="utf-8")
    print(f"{GUIDE.relative_to(ROOT)}: {len(BLOCK.findall(text))} file blocks synced")


if __name__ == "__main__":
    main()
