"""A language-model corpus larger than memory (`--stream`): a byte range of one plain-text file, read
as tokens on demand. Each batch row reads its own contiguous region of the file, so the state a row
carries from chunk to chunk follows the text, as with the in-memory streams."""
from __future__ import annotations

import codecs
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterator, Optional

import torch

from zoo_core.plugin import BOS, DataError, Vocab

BLOCK_BYTES = 1 << 20  # read this much at a time; memory per row stays about this
WHITESPACE = b" \n\t\r"
CONTINUATION = bytes(range(0x80, 0xC0))  # UTF-8 bytes inside a character


@dataclass(frozen=True)
class CorpusStream:
    """Bytes [start, end) of ``path``, tokenized by ``tokenize``; ``vocab`` turns them into ids."""

    path: str
    start: int
    end: int
    tokenize: Callable[[str], list[str]]
    whole_words: bool  # word tokenizers must not see a word cut in two at a region edge
    vocab: Optional[Vocab] = None

    @classmethod
    def of_file(cls, path, tokenize, whole_words: bool, fraction: tuple[float, float] = (0.0, 1.0)) -> "CorpusStream":
        path = Path(path)
        if path.is_dir() or path.name.endswith(".gz"):
            raise DataError(f"{path}: streaming reads one uncompressed text file (it seeks into it); "
                            "concatenate or decompress the corpus first, or train without --stream")
        if not path.is_file():
            raise DataError(f"{path}: no such file; give a plain-text file to --data")
        size = path.stat().st_size
        return cls(str(path), int(size * fraction[0]), int(size * fraction[1]), tokenize, whole_words)

    def __bool__(self) -> bool:
        return self.end > self.start

    def with_vocab(self, vocab: Vocab) -> "CorpusStream":
        return replace(self, vocab=vocab)

    def regions(self, count: int) -> list[tuple[int, int]]:
        """``count`` contiguous byte ranges of equal size covering this stream."""
        step = (self.end - self.start) / count
        return [(self.start + int(i * step), self.start + int((i + 1) * step)) for i in range(count)]

    def texts(self, start: int, end: int) -> Iterator[str]:
        """The text of bytes [start, end) in pieces that end at whitespace (no token cut in two).

        A region that starts inside a character or word skips to the next whole one; the region
        before it reads up to the next whitespace past its end, so each token is read once.
        """
        decoder = codecs.getincrementaldecoder("utf-8")()
        with open(self.path, "rb") as handle:
            handle.seek(start)
            pending = b""
            if start > 0:
                pending = handle.read(min(BLOCK_BYTES, end - start))
                pending = pending.lstrip(CONTINUATION)  # mid-character: skip to the next one
                if self.whole_words:
                    cut = next((i for i, byte in enumerate(pending) if byte in WHITESPACE), len(pending))
                    pending = pending[cut:]
            position = handle.tell()
            while True:
                block = handle.read(min(BLOCK_BYTES, max(end - position, 0))) if position < end else b""
                position += len(block)
                if not block:  # past the end: finish the word (or character) in progress, then stop
                    tail = handle.read(256)
                    if self.whole_words:
                        cut = next((i for i, byte in enumerate(tail) if byte in WHITESPACE), len(tail))
                    else:
                        cut = len(tail) - len(tail.lstrip(CONTINUATION))
                    yield self._decode(decoder, pending + tail[:cut], final=True)
                    return
                data = pending + block
                cut = max(data.rfind(byte) for byte in (b" ", b"\n"))
                if cut < 0:
                    pending = data
                    continue
                pending = data[cut + 1:]
                yield self._decode(decoder, data[:cut + 1], final=False)

    def _decode(self, decoder, data: bytes, final: bool) -> str:
        try:
            return decoder.decode(data, final=final)
        except UnicodeDecodeError as error:
            raise DataError(f"{self.path}: not valid UTF-8 ({error.reason}); convert the file to UTF-8") from None

    def token_lists(self) -> Iterator[list[str]]:
        """The tokens of the whole stream, a piece at a time (one pass to count a vocabulary)."""
        if self.start == 0:
            yield [BOS]
        for text in self.texts(self.start, self.end):
            yield self.tokenize(text)

    def ids(self, start: int, end: int) -> Iterator[int]:
        if start == 0:
            yield self.vocab.id(BOS)
        for text in self.texts(start, end):
            yield from self.vocab.encode(self.tokenize(text))


def streamed_chunks(stream: CorpusStream, batch_size: int, chunk_length: int, device,
                    rank: int = 0, world_size: int = 1) -> Iterator[dict]:
    """Chunks of ``batch_size`` rows, each row reading its own region of the file in order.

    The file is cut into ``batch_size x world_size`` regions and process ``rank`` reads its
    ``batch_size`` of them; the epoch ends when the first row runs out of text.
    """
    regions = stream.regions(batch_size * world_size)[rank * batch_size:(rank + 1) * batch_size]
    readers = [stream.ids(start, end) for start, end in regions]
    last = [next(reader, None) for reader in readers]  # each chunk's first input is the last one's final target
    if any(token is None for token in last):
        return
    lengths = torch.full((batch_size,), chunk_length, dtype=torch.long, device=device)
    while True:
        rows = []
        for index, reader in enumerate(readers):
            row = [last[index]]
            row.extend(token for _, token in zip(range(chunk_length), reader))
            if len(row) < chunk_length + 1:
                return
            last[index] = row[-1]
            rows.append(row)
        ids = torch.tensor(rows, dtype=torch.long, device=device)
        yield {"tokens": ids[:, :-1], "targets": ids[:, 1:], "lengths": lengths}
