"""How much of GitHub's event stream an archive hour holds, measured from its
own events while they are cleaned (no second pass over the file).

GitHub numbers every event from one counter shared by all its events, so in
an hour the distinct numeric ids present against the span of ids they cover
(``capture_ratio`` = distinct ids / (max id - min id + 1)) says how much of
the stream the archive caught, relative to other hours: the method of GH
Archive's issue #310, where capture fell after 2025-05-23. Timeline-era hours
(before 2015) have no ids: their id figures are null.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

ONE_HOUR_US = 3_600_000_000


@dataclass
class HourCoverage:
    """Folds each batch of clean rows into the hour's coverage figures."""

    archive_hour_us: int
    events: int = 0
    outside_hour: int = 0
    _ids: list[pa.Array] = field(default_factory=list)

    def add(self, table: pa.Table) -> None:
        self.events += table.num_rows
        ids = table.column("id")
        numeric = pc.fill_null(pc.utf8_is_digit(ids), False)
        self._ids.append(pc.cast(pc.filter(ids, numeric), pa.int64()).combine_chunks())
        created = table.column("created_at").cast(pa.int64())
        start, end = self.archive_hour_us, self.archive_hour_us + ONE_HOUR_US
        outside = pc.or_(pc.less(created, start), pc.greater_equal(created, end))
        self.outside_hour += pc.sum(outside.cast(pa.int64())).as_py() or 0

    def figures(self) -> dict[str, int | float | None]:
        """events, distinct_event_ids, min_event_id, max_event_id, capture_ratio
        (null without numeric ids) and outside_hour_share (created_at outside
        the archive hour: since 2025-05-24 a file holds late events)."""
        ids = pa.concat_arrays(self._ids) if self._ids else pa.array([], pa.int64())
        distinct = pc.count_distinct(ids).as_py() if len(ids) else 0
        low = high = None
        if distinct:
            extremes = pc.min_max(ids)
            low, high = extremes["min"].as_py(), extremes["max"].as_py()
        capture = LedgerCoverage(self.events, distinct, low, high).capture_ratio
        return {
            "events": self.events,
            "distinct_event_ids": distinct,
            "min_event_id": low,
            "max_event_id": high,
            "capture_ratio": capture,
            "outside_hour_share": self.outside_hour / self.events if self.events else 0.0,
        }


# When an hour is degraded; dbt_project.yml's vars of the same names hold the
# same values for coverage_hourly (tests/test_coverage.py keeps them equal).
DEGRADED_BELOW = 0.5
"""Degraded: capture ratio or events below this share of their trailing median."""
TRAILING_HOURS = 168
"""The median runs over the loaded hours (with events) of this many hours before."""
MIN_TRAILING_HOURS = 24
"""With fewer loaded hours than this before it, an hour is not judged."""


@dataclass(frozen=True)
class LedgerCoverage:
    """An hour's events and id figures as the warehouse's ledger holds them."""

    events: int
    distinct_event_ids: int | None = None
    min_event_id: int | None = None
    max_event_id: int | None = None

    @classmethod
    def of(cls, events: int, figures: Mapping | None) -> LedgerCoverage:
        """From the cleaner's figures (None: an hour loaded empty)."""
        figures = figures or {}
        return cls(
            events,
            figures.get("distinct_event_ids"),
            figures.get("min_event_id"),
            figures.get("max_event_id"),
        )

    @property
    def capture_ratio(self) -> float | None:
        if self.max_event_id is None or self.min_event_id is None:
            return None
        return (self.distinct_event_ids or 0) / (self.max_event_id - self.min_event_id + 1)


def degradation(hour: LedgerCoverage, trailing: list[LedgerCoverage]) -> str | None:
    """Why ``hour`` is degraded against the loaded hours before it (``trailing``,
    those with events in the ``TRAILING_HOURS`` before it), or None: the rule of
    coverage_hourly.is_degraded, so the asset check and the model agree."""
    if len(trailing) < MIN_TRAILING_HOURS:
        return None
    reasons = []
    captures = [h.capture_ratio for h in trailing if h.capture_ratio is not None]
    if hour.capture_ratio is not None and captures:
        median = statistics.median(captures)
        if hour.capture_ratio < DEGRADED_BELOW * median:
            reasons.append(
                f"capture ratio {hour.capture_ratio:.3f} against a median of {median:.3f}"
            )
    median_events = statistics.median(h.events for h in trailing)
    if hour.events < DEGRADED_BELOW * median_events:
        reasons.append(f"{hour.events:,} events against a median of {median_events:,.0f}")
    return "; ".join(reasons) or None
