"""The lake as a Dagster resource, and what the assets ask of any lake.

``LakeResource`` holds the helpers both targets share, built on the store's
interface (``store.Lake``); ``LocalLakeResource`` delegates to a directory
tree, and ``gcs.GCSLakeResource`` talks to a bucket.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pyarrow.parquet as pq

from gharchive_assets.contract.archive_hour import ArchiveHour
from gharchive_assets.lake.directory import DirectoryLake, sweep_stale_directories
from gharchive_assets.lake.paths import clean_path, missing_marker_path, source_record_path
from gharchive_assets.lake.store import footer_metadata


class LakeResource(dg.ConfigurableResource):
    """Base of the lake resources; subclasses implement ``store.Lake``."""

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

    def clean_hour_rows(self, hour: ArchiveHour) -> int | None:
        """The events of the hour's clean file, or None when there is none."""
        if self.size(clean_path(hour)) is None:
            return None
        return self.parquet_footer(clean_path(hour)).num_rows

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

    def record_source(self, hour: ArchiveHour, record: dict, source: str | None = None) -> None:
        """Keep beside the raw file what the source said of it (size, Last-Modified,
        ETag, sha256), so a republished file is noticed on a later run."""
        self.write_json(source_record_path(hour, source), record)

    def recorded_source(self, hour: ArchiveHour, source: str | None = None) -> dict | None:
        return self.read_json(source_record_path(hour, source))

    def record_missing_at_source(self, hour: ArchiveHour, url: str, reason: str) -> None:
        """Leave a marker beside the raw file: the source lost this hour for good.

        The lake, not the Dagster instance, is what the clean step reads, so any
        run (or the cleaner alone) sees it.
        """
        marker = {
            "partition": hour.key,
            "url": url,
            "reason": reason,
            "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        self.write_json(missing_marker_path(hour), marker)

    def is_missing_at_source(self, hour: ArchiveHour) -> bool:
        return self.size(missing_marker_path(hour)) is not None

    def clear_missing_at_source(self, hour: ArchiveHour) -> None:
        self.delete(missing_marker_path(hour))


class LocalLakeResource(LakeResource):
    """The local target's lake (``GHARCHIVE_DATA_DIR/lake``): files published
    whole by a rename from ``lake/.staging/``."""

    root: str

    @property
    def _lake(self) -> DirectoryLake:
        return DirectoryLake(self.root)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self.sweep_stale_staging(context, self._lake.staging_root)

    def size(self, rel_path: str) -> int | None:
        return self._lake.size(rel_path)

    def sha256(self, rel_path: str) -> str | None:
        return self._lake.sha256(rel_path)

    def publish(self, local_file: Path, rel_path: str) -> None:
        self._lake.publish(local_file, rel_path)

    def delete(self, rel_path: str) -> None:
        self._lake.delete(rel_path)

    @contextmanager
    def local_copy(self, rel_path: str) -> Iterator[Path]:
        with self._lake.local_copy(rel_path) as path:
            yield path

    @contextmanager
    def staging_dir(self) -> Iterator[Path]:
        with self._lake.staging_dir() as directory:
            yield directory

    def uri(self, rel_path: str) -> str:
        return self._lake.uri(rel_path)

    def parquet_footer(self, rel_path: str) -> pq.FileMetaData:
        return self._lake.parquet_footer(rel_path)
