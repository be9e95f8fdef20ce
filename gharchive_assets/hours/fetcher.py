"""An hour's archive file, from its source (or sources) into the lake's raw/.

A file already in the lake is kept unless its source says it changed (size,
Last-Modified, ETag; or, asked to, its sha256). A 404 is "not yet" for a
recent hour and "lost for good" for an old one whose neighbours the source
serves: then a marker says so, and the hour loads as empty.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gharchive_assets.contract.archive_hour import ArchiveHour
from gharchive_assets.core.settings import Settings
from gharchive_assets.lake.paths import missing_marker_path, raw_path
from gharchive_assets.lake.resource import LakeResource
from gharchive_assets.source.resource import (
    ArchiveSourceResource,
    Download,
    HourNotPublished,
    missing_for_good,
    source_changes,
    sources_of_hour,
)

MISSING_AT_SOURCE = "missing_at_source"


class LoadedHourKept(RuntimeError):
    """The source lost an hour whose events the lake holds; they are kept."""


class SourceLostHour(RuntimeError):
    """One of several sources lost the hour for good; the others may have it."""


@dataclass(frozen=True)
class FetchOptions:
    """What an operator can ask of one run (the raw asset's config)."""

    refetch: bool = False
    """Download again even when the source reports the file unchanged."""
    verify_sha256: bool = False
    """Download again and keep the new file only when its sha256 differs."""
    accept_missing_at_source: bool = False
    """Record a lost hour even when the lake holds its events (replaced by none)."""


def source_record(download: Download) -> dict:
    """What the source said of a download, kept beside the raw file."""
    return {
        "url": download.url,
        "bytes": download.size,
        "sha256": download.sha256,
        "last_modified": download.last_modified,
        "etag": download.etag,
        "downloaded_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


class HourFetcher:
    """Fetches hours into ``lake`` from ``source`` (and the settings' other
    sources); ``fetch`` returns the hour's figures as plain values."""

    def __init__(
        self,
        source: ArchiveSourceResource,
        lake: LakeResource,
        settings: Settings,
        options: FetchOptions = FetchOptions(),
        log: logging.Logger | Any = None,
        run_hours: list[ArchiveHour] | None = None,
    ):
        self.source, self.lake, self.settings, self.options = source, lake, settings, options
        self.log = log or logging.getLogger(__name__)
        # The run's hours: a source that serves one of them is working, so a
        # 404 it gives is about that hour alone (see confirm_answers_around).
        self.run_hours = run_hours or []
        self._unvalidated: set[str] = set()

    def fetch(self, hour: ArchiveHour) -> dict[str, Any]:
        serving = sources_of_hour(self.source, self.settings, hour)
        if [name for _, name, _ in serving] == [None]:
            return self._fetch_from(hour, self.source, None)
        # Several sources (GHARCHIVE_SOURCES): each one's file, the first's at
        # the CONTRACT's raw/ path, the others' beside it under their names.
        given, lost = {}, []
        for spec, name, each in serving:
            try:
                given[spec.name] = self._fetch_from(hour, each, name, alone=False)
            except SourceLostHour as error:
                lost.append(f"{spec.name}: {error}")
        if not given:
            return self._record_lost(hour, HourNotPublished("; ".join(lost)), self.source)
        for reason in lost:
            self.log.warning(f"hour {hour}: lost by one source, loaded from the others ({reason})")
        return {
            "sources": {
                name: {k: v for k, v in figures.items() if k != "path"}
                for name, figures in given.items()
            },
            "bytes": sum(figures["bytes"] for figures in given.values()),
            "sources_lacking_the_hour": len(lost),
        }

    def _fetch_from(
        self, hour: ArchiveHour, source: ArchiveSourceResource, name: str | None, alone=True
    ) -> dict[str, Any]:
        lake, path = self.lake, raw_path(hour, name)
        held = lake.size(path)
        if held is not None and not self.options.refetch:
            reused = self._reuse(hour, held, source, name)
            if reused is not None:
                return reused
        with lake.staging_dir() as staging:
            try:
                download = source.download(
                    hour, staging / "download.json.gz", lambda m: self.log.info(f"hour {hour}: {m}")
                )
            except HourNotPublished as error:
                if alone:
                    return self._record_lost(hour, error, source)
                self._confirm_lost(hour, error, source)
                raise SourceLostHour(str(error)) from error
            recorded = lake.recorded_source(hour, name) if held is not None else None
            if self.options.verify_sha256 and (recorded or {}).get("sha256") == download.sha256:
                self.log.info(f"hour {hour}: verified by sha256, unchanged at the source")
                return self._kept(hour, name, source, held, download.sha256, verified_sha256=True)
            if recorded is not None and recorded.get("sha256") != download.sha256:
                self.log.warning(
                    f"hour {hour}: the source's file changed (sha256 "
                    f"{recorded.get('sha256', '?')[:12]} -> {download.sha256[:12]}); "
                    "the new one replaces the lake's copy"
                )
            lake.publish(staging / "download.json.gz", path)
            lake.record_source(hour, source_record(download), name)
            lake.clear_missing_at_source(hour)
        self.log.info(f"hour {hour}: {download.size / 1e6:,.1f} MB in {download.seconds:.1f} s")
        figures = {
            "source_url": download.url,
            "bytes": download.size,
            "sha256": download.sha256,
            "reused": False,
            "download_seconds": round(download.seconds, 3),
            "path": lake.uri(path),
        }
        if download.last_modified:
            figures["last_modified"] = download.last_modified
        return figures

    def _reuse(self, hour: ArchiveHour, held: int, source, name: str | None) -> dict | None:
        """The lake's copy when the source reports the same file, else None."""
        recorded = self.lake.recorded_source(hour, name)
        try:
            served = source.describe(hour)
        except HourNotPublished as error:
            # Gone from a source that still serves its neighbours or other hours: keep ours.
            source.confirm_answers_around(hour, self.run_hours)
            self.log.warning(f"hour {hour}: {error}; keeping the lake's copy")
        else:
            if not (served.etag or served.last_modified):
                self._warn_no_validators(source)
            if self.options.verify_sha256:
                return None  # downloaded again, then compared by sha256
            if changes := source_changes(served, held, recorded):
                self.log.info(
                    f"hour {hour}: republished at the source ({'; '.join(changes)}); "
                    "downloading it again"
                )
                return None
        self.log.info(f"hour {hour}: already in the lake ({held:,} bytes)")
        # Recorded at download; hashing the file again reads it whole.
        sha256 = (recorded or {}).get("sha256") or self.lake.sha256(raw_path(hour, name))
        return self._kept(hour, name, source, held, sha256)

    def _kept(self, hour: ArchiveHour, name, source, held: int, sha256: str, **more) -> dict:
        """The figures of an hour whose raw file in the lake is kept as it is."""
        return {
            "source_url": source.url_for(hour),
            "bytes": held,
            "sha256": sha256,
            "reused": True,
            **more,
            "path": self.lake.uri(raw_path(hour, name)),
        }

    def _warn_no_validators(self, source: ArchiveSourceResource) -> None:
        """Once per fetcher and source: only the size tells a republished file."""
        if source.base_url in self._unvalidated:
            return
        self._unvalidated.add(source.base_url)
        self.log.warning(
            f"{source.base_url} gives neither ETag nor Last-Modified: a file republished "
            "with the same size cannot be told from the lake's copy, so only a change of "
            "size is seen. To re-verify hours by sha256, materialise raw_archive_hour "
            "with config verify_sha256: true (one download per hour)."
        )

    def _confirm_lost(self, hour: ArchiveHour, error: HourNotPublished, source) -> None:
        """Raise unless the source's 404 is final: the hour is past the
        publication window, and the source serves the hours around it."""
        if not missing_for_good(hour, datetime.now(UTC), self.settings.missing_after_hours):
            raise HourNotPublished(
                f"{error}; the hour is recent, so it may still come: "
                "archive_hours_sensor will ask again"
            ) from error
        if not source.confirm_answers_around(hour, self.run_hours):
            raise HourNotPublished(
                f"{error}; the source serves none of the hours around it but other hours of "
                "this run: it lacks this one (a partial mirror?), which is not taken for lost"
            ) from error

    def _record_lost(self, hour: ArchiveHour, error: HourNotPublished, source) -> dict:
        self._confirm_lost(hour, error, source)
        rows = self.lake.clean_hour_rows(hour)
        if rows and not self.options.accept_missing_at_source:
            raise LoadedHourKept(
                f"hour {hour}: {error}, but the lake holds it cleaned with {rows:,} events "
                "(its raw file is gone); they are kept. To record the hour as lost anyway, "
                "replacing its rows with none, materialise raw_archive_hour with config "
                "accept_missing_at_source: true."
            ) from error
        # GH Archive lost some hours for good (2016-2021 outages): say so in
        # the lake, load the hour as empty, and stop asking.
        self.lake.record_missing_at_source(hour, source.url_for(hour), str(error))
        self.log.warning(f"hour {hour}: {error}; recorded as missing at source")
        return {
            MISSING_AT_SOURCE: True,
            "source_url": source.url_for(hour),
            "bytes": 0,
            "path": self.lake.uri(missing_marker_path(hour)),
        }
