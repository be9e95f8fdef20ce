"""Reading an archive hour file as lines, and recovering what a bad line holds.

GH Archive files are gzip (sometimes several members) of JSON lines, with known
defects: NUL blocks, invalid UTF-8, lone surrogate escapes, two objects run
together on one line (``}{``, 2011–2012), truncated last lines.
"""

from __future__ import annotations

import json
import queue
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

import orjson
from isal import isal_zlib as zlib  # ISA-L's inflate, 2.5x zlib's; same API

from gharchive_assets.contract.archive_hour import MAX_LINE_BYTES

READ_SIZE = 4 << 20
# Bounds the memory of one decompression step: NUL blocks compress ~1000:1.
MAX_INFLATE = 8 << 20
GZIP_MAGIC = b"\x1f\x8b"
# GitHub's payloads nest 6 to 8 deep; orjson refuses to write past 254 and
# Python's recursion limit is 1000. The C scanner declines past the same depth.
MAX_NESTING_DEPTH = 64
QUARANTINE_HEAD_BYTES = 1 << 20


class ArchiveFileError(ValueError):
    """The file as a whole cannot be read: not gzip, truncated, corrupt or empty."""


class BadLine(ValueError):
    """A line that holds no event that can be recovered; ``reason`` says why."""


@dataclass(frozen=True)
class OversizedLine:
    """A line longer than the cap, in place of its text: its length and its
    first bytes (for the quarantine file); the rest was never held in memory."""

    length: int
    head: bytes


# Escapes that need mending: NUL and UTF-16 surrogates (lone ones are invalid).
SUSPECT_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89abAB])")


def iter_line_blocks(
    path: Path, digest=None, max_line_bytes: int = MAX_LINE_BYTES
) -> Iterator[memoryview | OversizedLine]:
    """The file's decompressed lines in blocks (whole lines, joined by newlines),
    decompressed ahead in a thread; a line over ``max_line_bytes`` comes alone
    as an :class:`OversizedLine`.

    Inflating releases the GIL, so the next block is inflated while this one is
    parsed; the queue holds at most two blocks, so memory stays bounded.
    ``digest`` (a hashlib object) is fed the file's bytes on the way.
    """
    blocks: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()

    def produce() -> None:
        try:
            for block in _blocks(path, digest, max_line_bytes):
                while not stop.is_set():
                    try:
                        blocks.put(block, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            blocks.put(None)
        except BaseException as error:  # handed to the consumer
            blocks.put(error)

    worker = threading.Thread(target=produce, name="gharchive-inflate", daemon=True)
    worker.start()
    try:
        while (item := blocks.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()


def _blocks(
    path: Path, digest=None, max_line_bytes: int = MAX_LINE_BYTES
) -> Iterator[memoryview | OversizedLine]:
    # No inflate step is longer than the cap, so only a line that spans steps
    # can exceed it, and that is seen where the steps are joined.
    step = min(MAX_INFLATE, max_line_bytes)
    with open(path, "rb") as handle:
        head = handle.read(2)
        if not head:
            raise ArchiveFileError("is empty (0 bytes)")
        if head != GZIP_MAGIC:
            sample = (head + handle.read(60)).decode("utf-8", "replace")
            hint = " (an HTML page: the server sent an error page)" if "<" in sample else ""
            raise ArchiveFileError(f"is not gzip: it starts with {sample!r}{hint}")
        handle.seek(0)
        inflater = zlib.decompressobj(wbits=31)
        lines = _LineJoiner(max_line_bytes)
        while compressed := handle.read(READ_SIZE):
            if digest is not None:
                digest.update(compressed)
            while compressed:
                try:
                    data = inflater.decompress(compressed, step)
                except zlib.error as error:
                    raise ArchiveFileError(f"is corrupt gzip ({error})") from None
                if inflater.eof:
                    # Another gzip member may follow the one that just ended.
                    compressed = inflater.unused_data
                    if compressed:
                        inflater = zlib.decompressobj(wbits=31)
                else:
                    compressed = inflater.unconsumed_tail
                if data:
                    yield from lines.add(data)
        if not inflater.eof:
            raise ArchiveFileError("is truncated: the gzip stream ends before its end marker")
        yield from lines.finish()


class _LineJoiner:
    """Inflated pieces → blocks of whole lines. A line that grows past the cap
    is dropped as it arrives, keeping only its head."""

    def __init__(self, max_line_bytes: int):
        self.cap = max_line_bytes
        self.pending = b""
        self.skipped: int | None = None  # bytes of an oversized line so far
        self.head = b""

    def add(self, data: bytes) -> Iterator[memoryview | OversizedLine]:
        if self.skipped is not None:
            cut = data.find(b"\n")
            if cut < 0:
                self.skipped += len(data)
                return
            yield OversizedLine(self.skipped + cut, self.head)
            self.skipped, data = None, data[cut + 1 :]
        cut = data.find(b"\n")
        if cut >= 0 and len(self.pending) + cut > self.cap:
            yield OversizedLine(len(self.pending) + cut, self.pending[:QUARANTINE_HEAD_BYTES])
            self.pending, data = b"", data[cut + 1 :]
        if b"\n" in data:
            text = self.pending + data
            cut = text.rfind(b"\n")
            # A view, not a copy: each fresh 8 MB copy costs page faults.
            yield memoryview(text)[:cut]
            self.pending = text[cut + 1 :]
        elif data:
            self.pending += data
            if len(self.pending) > self.cap:
                self.skipped, self.head = len(self.pending), self.pending[:QUARANTINE_HEAD_BYTES]
                self.pending = b""

    def finish(self) -> Iterator[memoryview | OversizedLine]:
        if self.skipped is not None:
            yield OversizedLine(self.skipped, self.head)
        elif self.pending:
            yield memoryview(self.pending)


def parse_line(line: bytes) -> tuple[list[dict], str | None]:
    """The records on a line and, when it needed mending, what was mended.

    The common line parses at once; the rest are recovered where possible
    (NULs stripped, bad UTF-8 replaced, ``}{`` split) or raise :class:`BadLine`.
    """
    if too_deep(line):
        raise BadLine(f"nested deeper than {MAX_NESTING_DEPTH} levels")
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError:
        pass
    else:
        if type(record) is not dict:
            raise BadLine(f"a JSON {type(record).__name__}, not an object")
        return [record], None

    repairs = []
    if b"\x00" in line:
        line = line.replace(b"\x00", b"")
        repairs.append("NUL bytes removed")
    if not line.strip():
        raise BadLine("blank line" if not repairs else "only NUL bytes")
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        text = line.decode("utf-8", "replace")
        repairs.append("invalid UTF-8 replaced")
    records = _decode_objects(text)
    if len(records) > 1:
        repairs.append(f"{len(records)} objects on one line split")
    return records, "; ".join(repairs) or "re-parsed"


_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_BRACKET_STEP = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")


def too_deep(line: bytes) -> bool:
    """Whether the line's JSON nests deeper than MAX_NESTING_DEPTH (brackets
    inside strings not counted). Few brackets in all is answered at once."""
    if line.count(b"{") + line.count(b"[") <= MAX_NESTING_DEPTH:
        return False
    brackets = _STRING.sub(b"", line).translate(None, _NOT_BRACKET).translate(_BRACKET_STEP)
    steps = memoryview(brackets).cast("b")
    return max(accumulate(steps), default=0) > MAX_NESTING_DEPTH


_DECODER = json.JSONDecoder(strict=False)


def _decode_objects(text: str) -> list[dict]:
    records = []
    position, end = 0, len(text)
    while True:
        while position < end and text[position] in " \t\r\n":
            position += 1
        if position >= end:
            break
        try:
            record, position = _DECODER.raw_decode(text, position)
        except json.JSONDecodeError as error:
            # Cut inside a string (the usual cut), json reports where the string began.
            cut = error.pos >= end - 1 or error.msg.startswith("Unterminated string")
            where = "truncated line" if cut else "not valid JSON"
            raise BadLine(f"{where}: {error.msg} at character {error.pos}") from None
        if type(record) is not dict:
            raise BadLine(f"a JSON {type(record).__name__}, not an object")
        records.append(record)
    return records


def sanitize(value):
    """``value`` with NULs removed and lone surrogates replaced in every string."""
    if type(value) is str:
        if "\x00" in value:
            value = value.replace("\x00", "")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            value = value.encode("utf-8", "replace").decode("utf-8")
        return value
    if type(value) is dict:
        return {sanitize(key): sanitize(item) for key, item in value.items()}
    if type(value) is list:
        return [sanitize(item) for item in value]
    return value
