"""The lake's hourly assets: the raw archive file and the clean hour.

Each body turns the run's partition keys into ``ArchiveHour`` values and hands
them to a plain object (``hours.HourFetcher``, ``hours.HourCleaner``); the lake
is the only contract between the two steps.
"""

from collections.abc import Mapping
from typing import Any

import dagster as dg

from gharchive_assets.clean import HourFailed
from gharchive_assets.contract.archive_hour import ArchiveHour
from gharchive_assets.core.partitions import (
    HOURS_GROUP,
    backfill_policy,
    for_each_hour,
    hourly_partitions,
)
from gharchive_assets.core.settings import Settings
from gharchive_assets.hours import FetchOptions, HourCleaner, HourFetcher, LoadedHourKept
from gharchive_assets.lake.resource import LakeResource
from gharchive_assets.source.resource import (
    ArchiveSourceResource,
    HourNotPublished,
    SourceUnavailable,
)

RAW_STEP_RETRIES = 2
LINKS = {
    "path": dg.MetadataValue.path,
    "quarantine": dg.MetadataValue.path,
    "source_url": dg.MetadataValue.url,
}


class RawHourConfig(dg.Config):
    refetch: bool = False
    """Download again even when the source reports the file unchanged."""
    verify_sha256: bool = False
    """Download the hour again and keep the new file only when its sha256 differs
    from the lake's copy: finds a file republished with the same size at a
    source that gives no ETag or Last-Modified. One download per hour."""
    accept_missing_at_source: bool = False
    """Record an hour the source lost for good even when the lake holds its events
    (its raw file gone): its rows are then replaced by none."""


class CleanHourConfig(dg.Config):
    max_quarantine_fraction: float | None = None
    """Fail the hour when more than this share of its lines cannot be cleaned
    (default: GHARCHIVE_MAX_QUARANTINE_FRACTION, else 0.01)."""


def as_metadata(figures: Mapping[str, Any]) -> dict[str, Any]:
    """An hour's figures as the UI shows them: paths and URLs as links, the
    events by type as a table, other mappings as JSON, numbers as numbers."""
    shown = {}
    for name, value in figures.items():
        if name in LINKS:
            value = LINKS[name](value)
        elif name == "events_by_type":
            rows = "\n".join(f"| {event_type} | {n:,} |" for event_type, n in value.items())
            value = dg.MetadataValue.md("| type | events |\n|---|---|\n" + rows)
        elif isinstance(value, Mapping):
            value = dg.MetadataValue.json(dict(value))
        shown[name] = value
    return shown


def lake_defs(settings: Settings) -> dg.Definitions:
    partitions = hourly_partitions(settings.start)
    policy = backfill_policy(settings.hours_per_run)

    @dg.asset(
        name="raw_archive_hour",
        group_name=HOURS_GROUP,
        # For network trouble that outlasts the download's own retries: 15 x its backoff.
        retry_policy=dg.RetryPolicy(
            max_retries=RAW_STEP_RETRIES,
            delay=15 * settings.http_backoff_seconds,
            backoff=dg.Backoff.EXPONENTIAL,
            jitter=dg.Jitter.PLUS_MINUS,
        ),
        partitions_def=partitions,
        backfill_policy=policy,
        kinds={settings.lake_kind},
        description=(
            "The GH Archive file of the hour, byte for byte as served, at "
            "raw/YYYY/MM/DD/YYYY-MM-DD-H.json.gz in the lake."
        ),
    )
    def raw_archive_hour(
        context: dg.AssetExecutionContext,
        config: RawHourConfig,
        source: ArchiveSourceResource,
        lake: LakeResource,
    ) -> dg.MaterializeResult:
        hours = [ArchiveHour.of(key) for key in context.partition_keys]
        options = FetchOptions(**config.model_dump())
        fetcher = HourFetcher(source, lake, settings, options, context.log, run_hours=hours)
        return for_each_hour(
            context,
            lambda key: as_metadata(fetcher.fetch(ArchiveHour.of(key))),
            final=(HourNotPublished, SourceUnavailable, LoadedHourKept),
            step_retries=RAW_STEP_RETRIES,
            stop_on=(SourceUnavailable,),
        )

    @dg.asset(
        name="clean_events_hour",
        group_name=HOURS_GROUP,
        deps=[raw_archive_hour],
        partitions_def=partitions,
        backfill_policy=policy,
        kinds={settings.lake_kind, "parquet"},
        description=(
            "The hour's events, cleaned to the warehouse columns, at "
            "clean/events/date=YYYY-MM-DD/hour=HH/events.parquet; lines that could "
            "not be cleaned go to quarantine/ with their line number and reason."
        ),
    )
    def clean_events_hour(
        context: dg.AssetExecutionContext, config: CleanHourConfig, lake: LakeResource
    ) -> dg.MaterializeResult:
        cleaner = HourCleaner(lake, settings, config.max_quarantine_fraction, context.log)
        return for_each_hour(
            context,
            lambda key: as_metadata(cleaner.clean(ArchiveHour.of(key))),
            final=(HourFailed, FileNotFoundError),
        )

    return dg.Definitions(assets=[raw_archive_hour, clean_events_hour])
