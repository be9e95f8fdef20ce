"""Several sources' copies of one hour → each event once, its fullest copy.

Mirrors of GH Archive (GHARCHIVE_SOURCES) serve the same hour with the same
events, more or fewer of them, and sometimes trimmed differently: since
2025-10-07 GH Archive drops payload fields (a PushEvent's size and commits, a
pull request's merge and line counts) that another crawler may still have. An
event is its id and created_at; of its copies, the one with the most typed
fields present is kept (a trimmed copy has them null), then the one with the
longer payload, then the earlier source. A source's own duplicates stay, as
they do with one source.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from gharchive_assets.contract.events_schema import COLUMN_NAMES

# The typed payload columns: null where a copy is trimmed (or the type has none).
TYPED_COLUMNS = COLUMN_NAMES[COLUMN_NAMES.index("payload") + 1 :]


@dataclass
class Union:
    kept: int = 0
    kept_by_source: dict[str, int] = field(default_factory=dict)
    """Events whose kept copy each source supplied."""
    fuller_copies_preferred: int = 0
    """Events kept from a later source because its copy was fuller than an earlier one's."""


def fullness(table: pa.Table | pa.RecordBatch, source: int, first_row: int) -> pa.Table:
    """Per row of a source's batch: its key, how full it is, and where it is
    (taken while the source is staged, so the payloads are never read again)."""
    fields = pa.array(np.zeros(table.num_rows, dtype=np.int64))
    for name in TYPED_COLUMNS:
        fields = pc.add(fields, pc.cast(pc.is_valid(table.column(name)), pa.int64()))
    return pa.table(
        {
            "id": table.column("id"),
            "created_at": table.column("created_at"),
            "fields": fields,
            "payload_bytes": pc.fill_null(pc.binary_length(table.column("payload")), 0),
            "source": pa.array(np.full(table.num_rows, source, dtype=np.int32)),
            "row": pa.array(np.arange(first_row, first_row + table.num_rows, dtype=np.int64)),
        }
    )


class StagedSource:
    """One source's rows written to a file of its own, with their fullness keys."""

    def __init__(self, name: str, index: int, path: Path, write: Callable[[pa.Table], None]):
        self.name, self.index, self.path = name, index, path
        self._write = write
        self.keys: list[pa.Table] = []
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        self.keys.append(fullness(table, self.index, self.rows))
        self.rows += table.num_rows
        self._write(table)


CHOOSE = """
with per_source as (
    select id, created_at, source, max(fields) as fields, max(payload_bytes) as payload_bytes
    from copies
    group by id, created_at, source
),
ranked as (
    select id, created_at, source,
        row_number() over (
            partition by id, created_at order by fields desc, payload_bytes desc, source
        ) as rank,
        min(source) over (partition by id, created_at) as first_source
    from per_source
)
select copies.source, copies.row, ranked.source > ranked.first_source as fuller
from copies
join ranked using (id, created_at, source)
where ranked.rank = 1
"""


def unite_sources(
    staged: Sequence[StagedSource], write: Callable[[pa.Table], None], batch_rows: int
) -> Union:
    """Write each event of the staged files once, from its fullest copy, in the
    sources' order; what each source supplied is counted."""
    keys = [part for source in staged for part in source.keys]
    if not keys:  # no source gave a row
        return Union(kept_by_source={source.name: 0 for source in staged})
    copies = pa.concat_tables(keys)
    with duckdb.connect() as connection:
        connection.register("copies", copies)
        chosen = connection.sql(CHOOSE).to_arrow_table()
    sources = chosen.column("source").to_numpy()
    rows = chosen.column("row").to_numpy()
    fuller = chosen.column("fuller").to_numpy(zero_copy_only=False)
    union = Union(kept=chosen.num_rows)
    union.fuller_copies_preferred = int(fuller.sum())
    for source in staged:
        source_file = pq.ParquetFile(source.path)
        keep = np.zeros(source_file.metadata.num_rows, dtype=bool)
        keep[rows[sources == source.index]] = True
        union.kept_by_source[source.name] = int(keep.sum())
        offset = 0
        for batch in source_file.iter_batches(batch_size=batch_rows):
            mask = keep[offset : offset + batch.num_rows]
            offset += batch.num_rows
            if mask.any():
                write(pa.Table.from_batches([batch]).filter(pa.array(mask)))
    return union
