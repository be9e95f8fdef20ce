"""The lake as a Dagster resource, and what the assets ask of any lake.

The stores themselves (``LocalLakeResource``, ``GCSLakeResource``) implement
the contract's :class:`~gharchive_assets.contract.lake.Lake`; the helpers here
are built on it, so both targets share them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from gharchive_assets.clean.directory_lake import sweep_stale_directories
from gharchive_assets.contract.lake import footer_metadata
from gharchive_assets.contract.lake_paths import (
    clean_path,
    missing_marker_path,
    source_record_path,
)


class LakeResource(dg.ConfigurableResource):
    """Base of the lake resources; subclasses implement the contract's ``Lake``."""

    stale_staging_hours: float = 6.0
    """Staging directories untouched this long were left by killed runs; each
    run removes them when it starts (an hour's download takes minutes)."""

    def sweep_stale_staging(
        self, context: dg.InitResourceContext, base: Path, pattern: str = "*"
    ) -> None:
        swept = sweep_stale_directories(base, self.stale_staging_hours * 3600, pattern)
        if swept and context.log:
            size = sum(bytes_ for _, bytes_ in swept) / 1e6
            names = ", ".join(path.name for path, _ in swept[:5])
            context.log.warning(
                f"removed {len(swept)} staging directories ({size:,.1f} MB) that runs killed "
                f"mid-hour left in {base}: {names}"
            )

    def parquet_metadata(self, rel_path: str) -> dict[str, str]:
        """The key-value metadata in a parquet file's footer."""
        return footer_metadata(self.parquet_footer(rel_path))

    def clean_hour_rows(self, key: str) -> int | None:
        """The events of the hour's clean file, or None when there is none."""
        if self.size(clean_path(key)) is None:
            return None
        return self.parquet_footer(clean_path(key)).num_rows

    def write_json(self, rel_path: str, content: dict) -> None:
        with self.staging_dir() as staging:
            path = staging / "record.json"
            path.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
            self.publish(path, rel_path)

    def read_json(self, rel_path: str) -> dict | None:
        if self.size(rel_path) is None:
            return None
        with self.local_copy(rel_path) as path:
            return json.loads(path.read_text(encoding="utf-8"))

    def record_source(self, key: str, record: dict, source: str | None = None) -> None:
        """Keep beside the raw file what the source said of it (size, Last-Modified,
        ETag, sha256), so a republished file is noticed on a later run."""
        self.write_json(source_record_path(key, source), record)

    def recorded_source(self, key: str, source: str | None = None) -> dict | None:
        return self.read_json(source_record_path(key, source))

    def record_missing_at_source(self, key: str, url: str, reason: str) -> None:
        """Leave a marker beside the raw file: the source lost this hour for good.

        The lake, not the Dagster instance, is what the clean step reads, so any
        run (or the cleaner alone) sees it.
        """
        marker = {
            "partition": key,
            "url": url,
            "reason": reason,
            "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        self.write_json(missing_marker_path(key), marker)

    def is_missing_at_source(self, key: str) -> bool:
        return self.size(missing_marker_path(key)) is not None

    def clear_missing_at_source(self, key: str) -> None:
        self.delete(missing_marker_path(key))
