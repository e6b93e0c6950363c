"""What of a task's record is shown as JSON: `zoo run --json` and `zoo serve` send the same objects."""
from __future__ import annotations

#: Keys a task adds only for pictures (`--attention-png`): left out of the JSON unless asked for.
PICTURE_KEYS = ("attention", "source_tokens")


def json_record(record: dict, pictures: bool = False) -> dict:
    """The record as `zoo run --json` prints it; ``pictures=True`` keeps the attention matrix and its tokens."""
    return dict(record) if pictures else {k: v for k, v in record.items() if k not in PICTURE_KEYS}
