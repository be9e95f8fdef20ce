"""The warehouse as the assets use it: the ``events`` table and its ledger.

Two implementations: DuckDB (the local target) and BigQuery (the gcp target).
Both run the same SQL with positional ``?`` parameters.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from gharchive_assets.contract.archive_hour import ArchiveHour

# The ledger of loaded hours (`loaded_hours`) records, per hour, the span of
# created_at of the rows loaded and of those rows together with the rows they
# replaced: the days whose marts the load changed (a re-load can move or drop
# events), which the dbt step rebuilds, and nothing else.
LEDGER_SPAN_COLUMNS = (
    ("first_created_at", "TIMESTAMP", "NULLABLE", "Earliest created_at of the loaded rows."),
    ("last_created_at", "TIMESTAMP", "NULLABLE", "Latest created_at of the loaded rows."),
    ("touched_first", "TIMESTAMP", "NULLABLE", "Earliest created_at of the loaded and the replaced rows."),
    ("touched_last", "TIMESTAMP", "NULLABLE", "Latest created_at of the loaded and the replaced rows."),
)  # fmt: skip
LEDGER_SPAN_NAMES = ", ".join(name for name, *_ in LEDGER_SPAN_COLUMNS)

# The hour's coverage, as the cleaner measured it (clean/coverage.py; the clean
# file's footer carries it), in BigQuery's types; dbt's coverage models read it.
LEDGER_COVERAGE_COLUMNS = (
    ("distinct_event_ids", "INT64", "NULLABLE", "Distinct numeric event ids of the hour."),
    ("min_event_id", "INT64", "NULLABLE", "Smallest numeric event id (null in the Timeline era)."),
    ("max_event_id", "INT64", "NULLABLE", "Largest numeric event id (null in the Timeline era)."),
    ("outside_hour_share", "FLOAT64", "NULLABLE", "Share of the hour's events created outside it."),
    ("raw_bytes", "INT64", "NULLABLE", "Bytes of the archive file (of every source's)."),
    ("events_by_source", "STRING", "NULLABLE", "With several sources: the events each gave, as JSON."),
    ("overlap_events", "INT64", "NULLABLE", "With several sources: copies left out, the event kept from another source."),
    ("events_in_full_by_source", "STRING", "NULLABLE", "With several sources: the events whose kept (fullest) copy each supplied, as JSON."),
    ("fuller_copies_preferred", "INT64", "NULLABLE", "With several sources: events kept from a later source whose copy was fuller (an earlier one's trimmed)."),
)  # fmt: skip
LEDGER_COVERAGE_NAMES = ", ".join(name for name, *_ in LEDGER_COVERAGE_COLUMNS)


# GitHub's star history (asset github/star_history): per repository and UTC
# day, the stars given that day that GitHub still counts, as last fetched.
STAR_HISTORY_TABLE = "github_star_history"
STAR_HISTORY_COLUMNS = (
    ("repo_id", "INT64", "REQUIRED", "GitHub's numeric repository id."),
    ("repo_name", "STRING", "NULLABLE", "owner/name the history was asked under."),
    ("day", "DATE", "REQUIRED", "UTC day the stars were given."),
    ("stars", "INT64", "REQUIRED", "Stars given that day and not since taken back, per GitHub."),
    ("fetched_at", "TIMESTAMP", "REQUIRED", "When GitHub was asked (or said it had not changed)."),
)  # fmt: skip
STAR_HISTORY_NAMES = ", ".join(name for name, *_ in STAR_HISTORY_COLUMNS)


def coverage_values(coverage: Mapping | None) -> list:
    """The ledger's coverage columns, in order, from the cleaner's figures."""
    values = [(coverage or {}).get(name) for name, *_ in LEDGER_COVERAGE_COLUMNS]
    return [json.dumps(v, sort_keys=True) if isinstance(v, dict) else v for v in values]


def touched_span(before: list, after: list) -> tuple:
    """(first, last) over the replaced rows' span ``before`` and the loaded rows'
    ``after``, each (min, max) of created_at, either possibly (None, None)."""
    firsts = [moment for moment in (before[0], after[0]) if moment is not None]
    lasts = [moment for moment in (before[1], after[1]) if moment is not None]
    return (min(firsts) if firsts else None, max(lasts) if lasts else None)


def days_covering(first: datetime, last: datetime) -> tuple[datetime, datetime]:
    """The half-open span of whole UTC days from ``first``'s day to ``last``'s:
    what a filter on ``created_at`` must keep to see those rows."""
    midnight = {"hour": 0, "minute": 0, "second": 0, "microsecond": 0}
    return first.replace(**midnight), last.replace(**midnight) + timedelta(days=1)


@dataclass(frozen=True)
class HourFile:
    """An hour's clean file in the lake, as a warehouse loads it."""

    hour: ArchiveHour
    uri: str
    sha256: str
    coverage: Mapping | None = None


@dataclass(frozen=True)
class HourLoad:
    hour: ArchiveHour
    rows: int
    replaced_rows: int


@runtime_checkable
class Warehouse(Protocol):
    @property
    def events_table(self) -> str:
        """The qualified name of ``events``, every column of CONTRACT §5."""
        ...

    @property
    def events_without_payload_table(self) -> str:
        """Where the pipeline's own queries read events: every column but the
        payload (DuckDB keeps payloads in the lake; BigQuery reads only the
        columns a query names, so there it is ``events`` itself)."""
        ...

    @property
    def loaded_hours_table(self) -> str:
        """The table recording each loaded hour: rows and the raw file's sha256."""
        ...

    @property
    def analytics_schema(self) -> str:
        """The schema (DuckDB) or dataset (BigQuery) holding the dbt models."""
        ...

    def replace_hour(
        self,
        hour: ArchiveHour,
        clean_file_uri: str,
        source_sha256: str,
        coverage: Mapping | None = None,
    ) -> HourLoad:
        """Swap the hour's rows for those of the clean file, and record the hour
        (rows, sha256, spans, ``coverage``) in the ledger, in one transaction."""
        ...

    def load_new_hours(self, hours: list[HourFile]) -> dict[str, HourLoad]:
        """Load together those of ``hours`` new to the warehouse, where that is
        cheaper than one by one (BigQuery); the hours loaded, by partition key.
        The rest go through ``replace_hour``."""
        ...

    def query(self, sql: str, parameters: list | None = None) -> list[tuple]:
        """Rows of ``sql``, with positional ``?`` parameters."""
        ...

    @property
    def star_history_table(self) -> str:
        """The qualified name of GitHub's star history (``STAR_HISTORY_COLUMNS``)."""
        ...

    def replace_star_history(self, repo_ids: list[int], rows_file_uri: str) -> int:
        """Swap every row of ``repo_ids`` for the rows of a parquet file of
        ``STAR_HISTORY_COLUMNS`` (the lake's), in one transaction; the rows loaded."""
        ...

    def dbt_vars(self) -> dict[str, str]:
        """What dbt must be told of this warehouse beyond its profile's target."""
        ...

    def exclusive(self, purpose: str) -> AbstractContextManager[None]:
        """Hold the warehouse while a writer that is not this object (dbt) works,
        where the warehouse takes one writer at a time (DuckDB); ``purpose`` is
        shown to whoever waits."""
        ...
