"""A block of archive lines → Arrow record batches, quarantined lines and counts.

Two paths give the same rows. The C scanner (``_linescan``) reads the common
line, a clean Events-API record, straight into Arrow buffers without holding
the GIL, so it runs while the inflate and parquet threads work. Every line it
declines (damaged lines, the Timeline shape, records without an id, anything
doubtful) is parsed to objects, mended and mapped by the general path
(:func:`event_records.normalise`), or quarantined.

The scanner is optional: where it is not built (no C compiler at install
time) or was built for other columns, ``SCANNER`` is None and every line takes
the general path, which gives the same rows, about ten times slower.

Parsing worker processes were measured and dropped: on two cores, shipping
blocks and tables between processes cost more than the parallel parse saved.
"""

from __future__ import annotations

import warnings
from array import array
from collections import Counter
from dataclasses import dataclass, field
from itertools import accumulate
from types import ModuleType

import pyarrow as pa

from gharchive_assets.clean.archive_lines import (
    MAX_NESTING_DEPTH,
    SUSPECT_ESCAPE,
    BadLine,
    parse_line,
    sanitize,
)
from gharchive_assets.clean.event_records import (
    CREATED_AT_EARLIEST_HOURS,
    CREATED_AT_LATEST_HOURS,
    normalise,
)
from gharchive_assets.contract.events_schema import ARROW_SCHEMA

PAYLOAD_COLUMN = ARROW_SCHEMA.get_field_index("payload")
MAX_STRING_BYTES = (1 << 31) - 1


def load_scanner() -> ModuleType | None:
    """The C line scanner, or None (with a warning) when it cannot be used."""
    try:
        from gharchive_assets.clean import _linescan
    except ImportError:
        warnings.warn(
            "gharchive_assets.clean._linescan is not built: every line takes the general "
            "path (the same rows, about ten times slower). Build it with `make setup` "
            "(needs a C compiler and Python's headers).",
            RuntimeWarning,
            stacklevel=2,
        )
        return None
    built_for = (
        _linescan.COLUMN_NAMES,
        getattr(_linescan, "MAX_DEPTH", None),
        getattr(_linescan, "CREATED_AT_EARLIEST_HOURS", None),
        getattr(_linescan, "CREATED_AT_LATEST_HOURS", None),
    )
    expected = (
        tuple(ARROW_SCHEMA.names),
        MAX_NESTING_DEPTH,
        CREATED_AT_EARLIEST_HOURS,
        CREATED_AT_LATEST_HOURS,
    )
    if built_for != expected:
        warnings.warn(
            "gharchive_assets.clean._linescan was built for other columns or caps than "
            "the general path's, so it is not used: rebuild it (make setup).",
            RuntimeWarning,
            stacklevel=2,
        )
        return None
    return _linescan


SCANNER = load_scanner()


@dataclass
class BlockResult:
    batches: list[pa.RecordBatch]
    lines: int
    repaired_lines: int = 0
    quarantined: list[tuple[int, str, bytes]] = field(default_factory=list)
    repairs: Counter = field(default_factory=Counter)
    """Repaired lines by what was mended (NUL bytes removed, ...)."""

    @property
    def rows(self) -> int:
        return sum(batch.num_rows for batch in self.batches)


def parse_block(data: memoryview, first_line_number: int, archive_hour: int) -> BlockResult:
    """Every line of a block of whole lines: scanned in C where it can, the
    general path where not."""
    if SCANNER is not None and len(data) <= MAX_STRING_BYTES:
        rows, lines, declined, buffers = SCANNER.scan(data, archive_hour)
        batches = [batch_from_buffers(rows, buffers)] if rows else []
        declined_lines = ((index, bytes(data[start:end])) for index, start, end in declined)
    else:  # no scanner, or beyond its 32-bit offsets (a giant line): the general path
        split = bytes(data).split(b"\n")
        lines, batches = len(split), []
        declined_lines = enumerate(split)
    result = BlockResult(batches, lines)
    slow_rows: list[tuple] = []
    for index, line in declined_lines:
        try:
            rows_of_line, repair = general_path_rows(line, archive_hour)
        except BadLine as bad:
            result.quarantined.append((first_line_number + index, str(bad), line))
            continue
        slow_rows.extend(rows_of_line)
        if repair is not None:
            result.repaired_lines += 1
            for kind in repair.split("; "):
                result.repairs[kind] += 1
    if slow_rows:
        result.batches.extend(to_table(slow_rows).to_batches())
    return result


def general_path_rows(line: bytes, archive_hour: int) -> tuple[list[tuple], str | None]:
    """The rows of one line parsed to objects, mended where needed, and what was
    mended (None: nothing); raises :class:`BadLine` for a line that holds no event."""
    records, repair = parse_line(line)
    if repair is not None or SUSPECT_ESCAPE.search(line):
        mended = [sanitize(record) for record in records]
        if repair is None and mended != records:
            repair = "NUL or lone surrogate escapes removed"
        records = mended
    rows = [normalise(record, archive_hour) for record in records]
    return rows, repair


_TYPES = [field_.type for field_ in ARROW_SCHEMA]


def batch_from_buffers(rows: int, buffers: tuple) -> pa.RecordBatch:
    """The scanner's buffers as a record batch of ARROW_SCHEMA (no copy)."""
    arrays = []
    for type_, parts in zip(_TYPES, buffers, strict=True):
        validity, *rest = (None if part is None else pa.py_buffer(part) for part in parts)
        if pa.types.is_list(type_):
            offsets, child_offsets, child_data = rest
            child = pa.Array.from_buffers(
                type_.value_type, len(child_offsets) // 4 - 1, [None, child_offsets, child_data]
            )
            arrays.append(pa.Array.from_buffers(type_, rows, [validity, offsets], children=[child]))
        else:
            arrays.append(pa.Array.from_buffers(type_, rows, [validity, *rest]))
    return pa.RecordBatch.from_arrays(arrays, schema=ARROW_SCHEMA)


def to_table(rows: list[tuple]) -> pa.Table:
    """The general path's rows (tuples in column order) as a table."""
    columns = list(zip(*rows, strict=True))
    arrays = [
        pa.array(values, type=field_.type) if index != PAYLOAD_COLUMN else payload_array(values)
        for index, (values, field_) in enumerate(zip(columns, ARROW_SCHEMA, strict=True))
    ]
    return pa.Table.from_arrays(arrays, schema=ARROW_SCHEMA)


def payload_array(
    payloads: tuple, max_chunk_bytes: int | None = None
) -> pa.Array | pa.ChunkedArray:
    """The payload column from JSON texts (bytes; None for null), copied once
    into Arrow's buffers. They are valid UTF-8 (orjson's output), so Arrow's
    second check is skipped.

    A string array's offsets are 32-bit: text beyond ``max_chunk_bytes`` is
    split into several arrays, returned as one chunked column.
    """
    max_chunk_bytes = max_chunk_bytes or MAX_STRING_BYTES
    lengths = [0 if text is None else len(text) for text in payloads]
    bounds = chunk_bounds(lengths, max_chunk_bytes)
    if len(bounds) > 1:
        return pa.chunked_array(
            [payload_array(payloads[start:stop], max_chunk_bytes) for start, stop in bounds],
            pa.string(),
        )
    offsets = array("i", [0])
    offsets.extend(accumulate(lengths))
    validity = None
    if None in payloads:
        validity = pa.array([text is not None for text in payloads]).buffers()[1]
        payloads = [b"" if text is None else text for text in payloads]
    return pa.Array.from_buffers(
        pa.string(),
        len(lengths),
        [validity, pa.py_buffer(offsets), pa.py_buffer(b"".join(payloads))],
    )


def chunk_bounds(lengths: list[int], max_chunk_bytes: int) -> list[tuple[int, int]]:
    """Index ranges ``[start, stop)`` whose lengths add up to at most
    ``max_chunk_bytes`` each (a longer single text is a chunk of its own)."""
    bounds, start, total = [], 0, 0
    for index, length in enumerate(lengths):
        if total + length > max_chunk_bytes and index > start:
            bounds.append((start, index))
            start, total = index, 0
        total += length
    bounds.append((start, len(lengths)))
    return bounds
