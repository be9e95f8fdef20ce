"""A block of archive lines → rows, quarantined lines and counts; rows → Arrow.

Parsing worker processes were measured and dropped: on two cores, shipping
blocks and tables between processes cost more than the parallel parse saved
(5.0 s with fork, 7.0 s with spawn, 4.4 s in one process, for a 2024-sized hour).
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from itertools import accumulate

import pyarrow as pa

from gharchive_assets.archive_lines import (
    SUSPECT_ESCAPE,
    BadLine,
    LineBlock,
    parse_line,
    sanitize,
)
from gharchive_assets.event_records import NOT_FAST, NotFast, normalise, row_from_line
from gharchive_assets.events_schema import ARROW_SCHEMA

PAYLOAD_COLUMN = ARROW_SCHEMA.get_field_index("payload")
MAX_STRING_BYTES = (1 << 31) - 1


@dataclass
class BlockResult:
    rows: list[tuple]
    lines: int
    repaired_lines: int = 0
    quarantined: list[tuple[int, str, bytes]] = field(default_factory=list)


def parse_block(block: LineBlock, archive_hour: int) -> BlockResult:
    """Every line of the block: the fast path where it can, the general path where not."""
    lines = block.lines
    result = BlockResult([], len(lines))
    rows = result.rows
    for line_number, line in enumerate(lines, start=block.first_line_number):
        try:
            if block.suspect and SUSPECT_ESCAPE.search(line):
                raise NOT_FAST
            rows.append(row_from_line(line, archive_hour))
        except NotFast:
            try:
                records, repair = parse_line(line)
                if repair is not None or (block.suspect and SUSPECT_ESCAPE.search(line)):
                    records = [sanitize(record) for record in records]
                    result.repaired_lines += repair is not None
                rows.extend(normalise(record, archive_hour) for record in records)
            except BadLine as bad:
                result.quarantined.append((line_number, str(bad), line))
    return result


def to_table(rows: list[tuple]) -> pa.Table:
    columns = list(zip(*rows, strict=True))
    arrays = [
        pa.array(values, type=field_.type) if index != PAYLOAD_COLUMN else payload_array(values)
        for index, (values, field_) in enumerate(zip(columns, ARROW_SCHEMA, strict=True))
    ]
    return pa.Table.from_arrays(arrays, schema=ARROW_SCHEMA)


def payload_array(payloads: tuple) -> pa.Array:
    """The payload column from JSON texts (bytes, or msgspec.Raw views of their
    lines; None for null), copied once into Arrow's buffer. They are UTF-8
    already (checked per line), so Arrow's second check is skipped too."""
    lengths = [0 if text is None else len(text) for text in payloads]
    offsets = array("i", [0])
    offsets.extend(accumulate(lengths))
    if offsets[-1] > MAX_STRING_BYTES:  # beyond 32-bit offsets: let Arrow chunk it
        return pa.array([None if t is None else bytes(t) for t in payloads], pa.binary()).view(
            pa.string()
        )
    validity = None
    if None in payloads:
        validity = pa.array([text is not None for text in payloads]).buffers()[1]
        payloads = [b"" if text is None else text for text in payloads]
    return pa.Array.from_buffers(
        pa.string(),
        len(lengths),
        [validity, pa.py_buffer(offsets), pa.py_buffer(b"".join(payloads))],
    )
