"""The lake as a Dagster resource, and what the assets ask of any lake.

The stores themselves (``LocalLakeResource``, ``GCSLakeResource``) implement
the contract's :class:`~gharchive_assets.contract.lake.Lake`; the helpers here
are built on it, so both targets share them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import dagster as dg

from gharchive_assets.contract.lake_paths import clean_path, missing_marker_path


class LakeResource(dg.ConfigurableResource):
    """Base of the lake resources; subclasses implement the contract's ``Lake``."""

    def raw_sha256_of_clean_hour(self, key: str) -> str | None:
        """The sha256 of the raw file a clean hour was made from (its parquet footer)."""
        return self.parquet_metadata(clean_path(key)).get("raw_sha256")

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
        with self.staging_dir() as staging:
            path = staging / "missing.json"
            path.write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
            self.publish(path, missing_marker_path(key))

    def is_missing_at_source(self, key: str) -> bool:
        return self.size(missing_marker_path(key)) is not None

    def clear_missing_at_source(self, key: str) -> None:
        self.delete(missing_marker_path(key))
