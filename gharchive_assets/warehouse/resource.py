"""The warehouse as a Dagster resource, and what the assets ask of any warehouse.

The warehouses themselves (``DuckDBWarehouseResource``,
``BigQueryWarehouseResource``) implement the contract's
:class:`~gharchive_assets.warehouse.interface.Warehouse`; the helpers here are
plain SQL on it, so both targets share them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import dagster as dg

from gharchive_assets.clean.coverage import LedgerCoverage
from gharchive_assets.clean.event_records import CREATED_AT_EARLIEST_HOURS, CREATED_AT_LATEST_HOURS
from gharchive_assets.contract.archive_hour import ArchiveHour
from gharchive_assets.warehouse.interface import HourFile, HourLoad, days_covering

# The archive's first day: a bound on created_at that keeps every row.
ARCHIVE_FIRST_DAY = datetime(2011, 2, 12)


class WarehouseResource(dg.ConfigurableResource):
    """Base of the warehouse resources; subclasses implement the contract's ``Warehouse``."""

    @contextmanager
    def exclusive(self, purpose: str) -> Iterator[None]:
        """Hold the warehouse for a writer that is not this resource (dbt), where
        the warehouse takes one writer at a time. A no-op unless overridden."""
        yield

    def load_new_hours(self, hours: list[HourFile]) -> dict[str, HourLoad]:
        """None together unless overridden: each hour goes through ``replace_hour``."""
        return {}

    def created_at_bounds(self, start: datetime, end: datetime) -> tuple[datetime, datetime]:
        """Whole UTC days holding the rows of the hours [start, end), from the
        ledger: the filter on ``created_at`` (BigQuery's partitioning column)
        that every read of ``events`` by archive hour carries."""
        first, last, unrecorded = self.query(
            f"select min(first_created_at), max(last_created_at), "
            "sum(case when first_created_at is null and rows > 0 then 1 else 0 end) "
            f"from {self.loaded_hours_table} where archive_hour >= ? and archive_hour < ?",
            [start.replace(tzinfo=None), end.replace(tzinfo=None)],
        )[0]
        if unrecorded:  # loaded before the ledger kept spans: any day
            first, last = ARCHIVE_FIRST_DAY, datetime.now(UTC).replace(tzinfo=None)
        if first is None:
            return (start.replace(tzinfo=None), start.replace(tzinfo=None))
        return days_covering(first.replace(tzinfo=None), last.replace(tzinfo=None))

    def duplicate_ids_in_hour(self, hour: ArchiveHour) -> int:
        """Copies of events of the hour beyond the first: rows whose key (id and
        created_at; GitHub's ids repeat across years) another row of the hour has too."""
        first, after_last = self.created_at_bounds(hour.start, hour.end)
        return self.query(
            "select count(*) - count(distinct concat(id, '/', cast(created_at as string))) "
            f"from {self.events_without_payload_table} "
            "where archive_hour = ? and created_at >= ? and created_at < ?",
            [hour.naive_start, first, after_last],
        )[0][0]

    def rows_of_hours_before(self, hour: ArchiveHour, hours: int) -> list[int]:
        """The rows of (at most) the ``hours`` loaded hours before ``hour``, newest first."""
        return [
            count
            for (count,) in self.query(
                f"select rows from {self.loaded_hours_table} where archive_hour < ? "
                "order by archive_hour desc limit ?",
                [hour.naive_start, hours],
            )
        ]

    def coverage_of_hours_before(self, hour: ArchiveHour, hours: int) -> list[LedgerCoverage]:
        """The ledger's coverage of the loaded hours with events among the
        ``hours`` before ``hour``: what its degradation is judged against."""
        start = hour.naive_start
        return [
            LedgerCoverage(*row)
            for row in self.query(
                "select rows, distinct_event_ids, min_event_id, max_event_id "
                f"from {self.loaded_hours_table} "
                "where archive_hour >= ? and archive_hour < ? and rows > 0",
                [start - timedelta(hours=hours), start],
            )
        ]

    def touched_days(self, start: datetime, end: datetime) -> list[date]:
        """The UTC days whose marts the loads of hours [start, end) changed: the
        days of their rows and of the rows they replaced, from the ledger. An
        hour recorded before the ledger kept spans is read from ``events``."""
        window = [start.replace(tzinfo=None), end.replace(tzinfo=None)]
        spans = self.query(
            f"select archive_hour, touched_first, touched_last, rows from {self.loaded_hours_table} "
            "where archive_hour >= ? and archive_hour < ?",
            window,
        )
        days: set[date] = set()
        for hour, first, last, _ in spans:
            if first is not None:
                days.update(days_touched(hour, first, last))
        if any(first is None and rows for _, first, _, rows in spans):
            days.update(
                day
                for (day,) in self.query(
                    "select distinct cast(created_at as date) "
                    f"from {self.events_without_payload_table} "
                    "where archive_hour >= ? and archive_hour < ? and created_at >= ?",
                    [*window, ARCHIVE_FIRST_DAY],
                )
            )
        return sorted(days)


def days_touched(archive_hour: datetime, first: datetime, last: datetime) -> set[date]:
    """The days of a load's span [first, last]. A span wider than the cleaner's
    created_at window comes from a load made before the window was enforced
    (an impossible timestamp, 1970 or 2099): its two ends and the window's days,
    not the tens of thousands of days between, which hold none of its rows."""
    earliest, latest = created_at_window(archive_hour)
    if (last - first).days <= (latest - earliest).days:
        return {
            first.date() + timedelta(days=n) for n in range((last.date() - first.date()).days + 1)
        }
    within = days_touched(archive_hour, max(first, earliest), min(last, latest))
    return within | {first.date(), last.date()}


def created_at_window(archive_hour: datetime) -> tuple[datetime, datetime]:
    """The cleaner's window for created_at (clean/event_records.py), as datetimes."""
    return (
        archive_hour - timedelta(hours=CREATED_AT_EARLIEST_HOURS),
        archive_hour + timedelta(hours=CREATED_AT_LATEST_HOURS),
    )
