"""An hour's clean file into the warehouse's ``events``, and what its checks find.

Loading swaps the hour's rows in one transaction; a run's hours new to the
warehouse may go in together first (``load_new_together``). Each load also measures
what the events asset's three checks report over a run: duplicates within
the hour, rows against the median of the hours before, and coverage against
the trailing hours'.
"""

from __future__ import annotations

import json
import logging
import statistics
from dataclasses import dataclass, field
from typing import Any

from gharchive_assets.clean.coverage import TRAILING_HOURS, LedgerCoverage, degradation
from gharchive_assets.contract.archive_hour import ArchiveHour
from gharchive_assets.lake.paths import clean_path
from gharchive_assets.lake.resource import LakeResource
from gharchive_assets.warehouse.interface import HourFile, HourLoad
from gharchive_assets.warehouse.resource import WarehouseResource

BAND = (0.2, 5.0)
HISTORY_HOURS = 24
MIN_HISTORY = 6


@dataclass
class LoadFindings:
    """The checks' view of a run's loads, keyed by partition key."""

    rows: dict[str, int] = field(default_factory=dict)
    duplicates: dict[str, int] = field(default_factory=dict)
    medians: dict[str, float | None] = field(default_factory=dict)
    captures: dict[str, float | None] = field(default_factory=dict)
    degraded: dict[str, str] = field(default_factory=dict)

    def duplicated_hours(self) -> dict[str, int]:
        return {key: n for key, n in self.duplicates.items() if n}

    def hours_outside_band(self) -> dict[str, str]:
        """Hours whose rows lie outside ``BAND`` times the median of those before."""
        return {
            key: f"{rows:,} rows against a median of {median:,.0f}"
            for key, rows in self.rows.items()
            if (median := self.medians.get(key))
            and not BAND[0] * median <= rows <= BAND[1] * median
        }


class HourLoader:
    """Loads hours of ``lake`` into ``warehouse``; ``findings`` gathers the checks'."""

    def __init__(
        self, lake: LakeResource, warehouse: WarehouseResource, log: logging.Logger | Any = None
    ):
        self.lake, self.warehouse = lake, warehouse
        self.log = log or logging.getLogger(__name__)
        self.findings = LoadFindings()
        self._loaded: dict[str, HourLoad] = {}
        self._files: dict[str, HourFile] = {}

    def load_new_together(self, keys: list[str]) -> None:
        """Load the run's hours new to the warehouse in one go, where the
        warehouse does that more cheaply (BigQuery: one load, one copy, one
        ledger INSERT, none mutating a table); ``load`` then only reports them.
        If the batch fails, every hour is loaded by itself."""
        for key in keys:
            try:
                self._files[key] = self._file(ArchiveHour.of(key))
            except Exception:  # its own load reports it
                continue
        try:
            self._loaded = self.warehouse.load_new_hours(list(self._files.values()))
        except Exception as error:  # each hour is then loaded alone
            self.log.warning(f"the run's new hours could not go in together ({error}): one by one")
            self._loaded = {}
        if self._loaded:
            self.log.info(f"{len(self._loaded)} new hours loaded together")

    def _file(self, hour: ArchiveHour) -> HourFile:
        path = clean_path(hour)
        footer = self.lake.parquet_metadata(path)
        coverage = json.loads(footer["coverage"]) if "coverage" in footer else None
        return HourFile(hour, self.lake.uri(path), footer.get("raw_sha256") or "", coverage)

    def load(self, hour: ArchiveHour) -> dict[str, int]:
        load = self._loaded.pop(hour.key, None)
        file = self._files.pop(hour.key, None) or self._file(hour)
        if load is None:
            load = self.warehouse.replace_hour(hour, file.uri, file.sha256, file.coverage)
        self.log.info(f"hour {hour}: {load.rows:,} rows loaded, {load.replaced_rows:,} replaced")
        self._measure(hour, load.rows, file.coverage)
        return {"rows": load.rows, "replaced_rows": load.replaced_rows}

    def _measure(self, hour: ArchiveHour, rows: int, coverage: dict | None) -> None:
        found, key = self.findings, hour.key
        before = self.warehouse.rows_of_hours_before(hour, HISTORY_HOURS)
        found.rows[key] = rows
        found.duplicates[key] = self.warehouse.duplicate_ids_in_hour(hour)
        found.medians[key] = statistics.median(before) if len(before) >= MIN_HISTORY else None
        figures = LedgerCoverage.of(rows, coverage)
        found.captures[key] = figures.capture_ratio
        trailing = self.warehouse.coverage_of_hours_before(hour, TRAILING_HOURS)
        if reason := degradation(figures, trailing):
            found.degraded[key] = reason
