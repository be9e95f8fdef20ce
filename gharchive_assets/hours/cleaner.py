"""An hour's raw file (or its sources' files) into the lake's clean parquet.

The cleaning itself is ``gharchive_assets.clean``; this picks the files the
lake holds for the hour, writes an empty hour for one the source lost for
good, and returns the figures the asset shows.
"""

from __future__ import annotations

import logging
from contextlib import ExitStack
from typing import Any

import pyarrow.parquet as pq

from gharchive_assets.clean import CleanResult, clean_hour_into_lake
from gharchive_assets.clean.block_parser import SCANNER
from gharchive_assets.contract.archive_hour import ArchiveHour
from gharchive_assets.contract.events_schema import ARROW_SCHEMA
from gharchive_assets.core.settings import Settings
from gharchive_assets.hours.fetcher import MISSING_AT_SOURCE
from gharchive_assets.lake.paths import clean_path, quarantine_path, raw_path
from gharchive_assets.lake.resource import LakeResource


class HourCleaner:
    """Cleans hours of ``lake`` in place; ``clean`` returns the hour's figures."""

    def __init__(
        self,
        lake: LakeResource,
        settings: Settings,
        max_quarantine_fraction: float | None = None,
        log: logging.Logger | Any = None,
    ):
        self.lake, self.settings = lake, settings
        self.max_quarantine_fraction = (
            settings.max_quarantine_fraction
            if max_quarantine_fraction is None
            else max_quarantine_fraction
        )
        self.log = log or logging.getLogger(__name__)

    def clean(self, hour: ArchiveHour) -> dict[str, Any]:
        lake = self.lake
        if lake.size(raw_path(hour)) is None and lake.is_missing_at_source(hour):
            with lake.staging_dir() as staging:
                empty = staging / "events.parquet"
                pq.write_table(ARROW_SCHEMA.empty_table(), empty)
                lake.publish(empty, clean_path(hour))
            return {"rows": 0, MISSING_AT_SOURCE: True}
        paths = [
            (spec.name, raw_path(hour, name)) for spec, name in self.settings.sources_serving(hour)
        ]
        held = [(name, path) for name, path in paths if lake.size(path) is not None]
        # None held: the first source's path, whose absence local_copy explains.
        files = held or [(self.settings.archive_sources[0].name, raw_path(hour))]
        with ExitStack() as stack:
            local = [(name, stack.enter_context(lake.local_copy(p))) for name, p in files]
            (first_name, first), *others = local
            result = clean_hour_into_lake(
                lake,
                hour,
                first,
                self.max_quarantine_fraction,
                others,
                first_name,
                self.settings.max_line_bytes,
            )
        for name, why in result.dropped_sources.items():
            self.log.warning(
                f"hour {hour}: source {name} left out, {why}; the hour is loaded from the "
                "other sources. Materialise raw_archive_hour with refetch: true to "
                "download it again."
            )
        return self.figures(hour, result)

    def figures(self, hour: ArchiveHour, result: CleanResult) -> dict[str, Any]:
        """What the UI shows of a cleaned hour; the coverage figures as numbers,
        so it plots them over the partitions (null ids: Timeline era)."""
        summary = result.summary()
        figures: dict[str, Any] = {
            "rows": result.rows,
            "quarantined_lines": result.quarantined_lines,
            "repaired_lines": result.repaired_lines,
            "first_created_at": summary["first_created_at"] or "",
            "last_created_at": summary["last_created_at"] or "",
            "events_by_type": dict(sorted(result.counts_by_type.items(), key=lambda i: -i[1])),
            "repairs": dict(result.repairs),
            "seconds": round(result.seconds, 3),
            "fast_path": SCANNER is not None,
            "raw_sha256": result.raw_sha256 or "",
            "path": self.lake.uri(clean_path(hour)),
        }
        if result.dropped_sources:
            figures["dropped_sources"] = result.dropped_sources
        if "events_by_source" in result.coverage:
            figures["events_by_source"] = result.coverage["events_by_source"]
        figures |= {
            name: value
            for name, value in result.coverage.items()
            if not isinstance(value, dict) and name != "events" and value is not None
        }
        if result.quarantined_lines:
            figures["quarantine"] = self.lake.uri(quarantine_path(hour))
        return figures
