"""The warehouse as a Dagster resource, and what the assets ask of any warehouse.

The warehouses themselves (``DuckDBWarehouseResource``,
``BigQueryWarehouseResource``) implement the contract's
:class:`~gharchive_assets.contract.warehouse.Warehouse`; the helpers here are
plain SQL on it, so both targets share them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta

import dagster as dg


class WarehouseResource(dg.ConfigurableResource):
    """Base of the warehouse resources; subclasses implement the contract's ``Warehouse``."""

    @contextmanager
    def exclusive(self, purpose: str) -> Iterator[None]:
        """Hold the warehouse for a writer that is not this resource (dbt), where
        the warehouse takes one writer at a time. A no-op unless overridden."""
        yield

    def duplicate_ids_in_hour(self, archive_hour: datetime) -> int:
        """Events of the hour whose id another event of the same hour has too."""
        return self.query(
            f"select count(*) - count(distinct id) from {self.events_table} where archive_hour = ?",
            [archive_hour.replace(tzinfo=None)],
        )[0][0]

    def rows_of_hours_before(self, archive_hour: datetime, hours: int) -> list[int]:
        """The rows of (at most) the ``hours`` loaded hours before ``archive_hour``, newest first."""
        return [
            count
            for (count,) in self.query(
                f"select rows from {self.loaded_hours_table} where archive_hour < ? "
                "order by archive_hour desc limit ?",
                [archive_hour.replace(tzinfo=None), hours],
            )
        ]

    def touched_days(self, start: datetime, end: datetime) -> list[date]:
        """The UTC days whose marts the loads of hours [start, end) changed: the
        days of their rows and of the rows they replaced, from the ledger. An
        hour recorded before the ledger kept spans is read from ``events``."""
        window = [start.replace(tzinfo=None), end.replace(tzinfo=None)]
        spans = self.query(
            f"select touched_first, touched_last, rows from {self.loaded_hours_table} "
            "where archive_hour >= ? and archive_hour < ?",
            window,
        )
        days: set[date] = set()
        for first, last, _ in spans:
            if first is not None:
                day = first.date()
                while day <= last.date():
                    days.add(day)
                    day += timedelta(days=1)
        if any(first is None and rows for first, _, rows in spans):
            days.update(
                day
                for (day,) in self.query(
                    f"select distinct cast(created_at as date) from {self.events_table} "
                    "where archive_hour >= ? and archive_hour < ?",
                    window,
                )
            )
        return sorted(days)
