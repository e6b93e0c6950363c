"""Lines of a byte stream (stdin) in batches as they arrive, for `zoo run MODEL -`.

A reader thread decodes lines into a bounded queue (memory stays bounded however long the input); a batch
is whatever has arrived when the first line of it is there, up to ``size`` lines, waiting at most ``wait``
seconds for more. So a pipe that is still open gets its first results after one batch, an interactive user
after each line, and a fast producer full batches.
"""
from __future__ import annotations

import queue
import threading
import time
from typing import BinaryIO, Iterator

from zoo_core.errors import DataError

_END = object()


class _Failure:
    def __init__(self, error: BaseException):
        self.error = error


def decode_line(raw: bytes, number: int, source: str) -> str:
    """One input line without its line ending (\\n, \\r\\n); a UTF-8 BOM on the first is dropped."""
    if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DataError(f"{source}:{number}: not valid UTF-8 (byte 0x{raw[error.start]:02x} at column "
                        f"{error.start + 1}); convert the input to UTF-8, e.g. with `iconv -f latin1 -t utf-8`") from None
    return text.removesuffix("\n").removesuffix("\r")


def line_batches(stream: BinaryIO, size: int, wait: float = 0.05, source: str = "stdin") -> Iterator[list[str]]:
    """Batches of at most ``size`` decoded lines of ``stream``, in input order, as they arrive."""
    lines: queue.Queue = queue.Queue(maxsize=4 * size)

    def read() -> None:
        try:
            for number, raw in enumerate(iter(stream.readline, b""), 1):
                lines.put(decode_line(raw, number, source))
        except BaseException as error:  # handed to the consumer, which raises it in its own thread
            lines.put(_Failure(error))
        finally:
            lines.put(_END)

    threading.Thread(target=read, name="zoo-run-stdin", daemon=True).start()
    while True:
        item = lines.get()  # the first line of a batch: wait as long as it takes
        if item is _END:
            return
        batch, ended = [], False
        deadline = time.monotonic() + wait
        while True:
            if isinstance(item, _Failure):
                raise item.error
            batch.append(item)
            if len(batch) >= size:
                break
            try:
                item = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if item is _END:
                ended = True
                break
        yield batch
        if ended:
            return
