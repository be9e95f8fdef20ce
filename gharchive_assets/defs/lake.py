"""The lake's hourly assets: the raw archive file and the clean hour.

The lake is their only contract: the clean step reads the raw file, or the
marker the raw step leaves when the source lost the hour for good.
"""

from contextlib import ExitStack
from datetime import UTC, datetime

import dagster as dg
import pyarrow.parquet as pq

from gharchive_assets.clean import HourFailed, clean_hour_into_lake
from gharchive_assets.clean.block_parser import SCANNER
from gharchive_assets.contract.events_schema import ARROW_SCHEMA
from gharchive_assets.contract.lake_paths import (
    clean_path,
    missing_marker_path,
    quarantine_path,
    raw_path,
)
from gharchive_assets.partitions import backfill_policy, for_each_hour, hourly_partitions
from gharchive_assets.resources.lake import LakeResource
from gharchive_assets.resources.source import (
    ArchiveSourceResource,
    Download,
    HourNotPublished,
    SourceUnavailable,
    missing_for_good,
    source_changes,
    sources_of_hour,
)
from gharchive_assets.settings import Settings, current_settings


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


class LoadedHourKept(RuntimeError):
    """The source lost an hour whose events the lake holds; they are kept."""


class SourceLostHour(RuntimeError):
    """One of several sources lost the hour for good; the others may have it."""


class CleanHourConfig(dg.Config):
    max_quarantine_fraction: float | None = None
    """Fail the hour when more than this share of its lines cannot be cleaned
    (default: GHARCHIVE_MAX_QUARANTINE_FRACTION, else 0.01)."""


MISSING_AT_SOURCE = "missing_at_source"
RAW_STEP_RETRIES = 2


def source_record(download: Download) -> dict:
    return {
        "url": download.url,
        "bytes": download.size,
        "sha256": download.sha256,
        "last_modified": download.last_modified,
        "etag": download.etag,
        "downloaded_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


@dg.definitions
def lake_defs() -> dg.Definitions:
    return dg.Definitions(assets=build_lake_assets(current_settings()))


def build_lake_assets(settings: Settings) -> list[dg.AssetsDefinition]:
    partitions = hourly_partitions(settings.start)
    policy = backfill_policy(settings.hours_per_run)
    # A step retry (after the download's own tries) waits 15 x the download backoff.
    step_retry_delay_seconds = 15 * settings.http_backoff_seconds

    @dg.asset(
        name="raw_archive_hour",
        group_name="lake",
        # For network trouble that outlasts the download's own retries.
        retry_policy=dg.RetryPolicy(
            max_retries=RAW_STEP_RETRIES,
            delay=step_retry_delay_seconds,
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
        def reuse(key: str, held: int, source, name: str | None) -> dict | None:
            """The lake's copy when the source reports the same file, else None."""
            recorded = lake.recorded_source(key, name)
            try:
                served = source.describe(key)
            except HourNotPublished as error:
                # Gone from a source that still serves its neighbours: keep ours.
                source.confirm_answers_around(key)
                context.log.warning(f"hour {key}: {error}; keeping the lake's copy")
            else:
                if not (served.etag or served.last_modified):
                    warn_no_validators(source)
                if config.verify_sha256:
                    return None  # downloaded again, then compared by sha256
                if changes := source_changes(served, held, recorded):
                    context.log.info(
                        f"hour {key}: republished at the source ({'; '.join(changes)}); "
                        "downloading it again"
                    )
                    return None
            context.log.info(f"hour {key}: already in the lake ({held:,} bytes)")
            # Recorded at download; hashing the file again reads it whole.
            sha256 = (recorded or {}).get("sha256") or lake.sha256(raw_path(key, name))
            return lake_copy_kept(key, name, source, held, sha256)

        def lake_copy_kept(key: str, name: str | None, source, held: int, sha256: str, **more):
            """The metadata of an hour whose raw file in the lake is kept as it is."""
            return {
                "source_url": source.url_for(key),
                "bytes": held,
                "sha256": sha256,
                "reused": True,
                **more,
                "path": dg.MetadataValue.path(lake.uri(raw_path(key, name))),
            }

        unvalidated: set[str] = set()

        def warn_no_validators(source) -> None:
            """Once per run and source: only the size tells a republished file."""
            if source.base_url in unvalidated:
                return
            unvalidated.add(source.base_url)
            context.log.warning(
                f"{source.base_url} gives neither ETag nor Last-Modified: a file republished "
                "with the same size cannot be told from the lake's copy, so only a change of "
                "size is seen. To re-verify hours by sha256, materialise raw_archive_hour "
                "with config verify_sha256: true (one download per hour)."
            )

        def confirm_lost(key: str, error: HourNotPublished, source) -> None:
            """Raise unless the source's 404 is final: the hour is past the
            publication window, and the source serves the hours around it."""
            if not missing_for_good(key, datetime.now(UTC), settings.missing_after_hours):
                raise HourNotPublished(
                    f"{error}; the hour is recent, so it may still come: "
                    "archive_hours_sensor will ask again"
                ) from error
            source.confirm_answers_around(key)

        def record_lost(key: str, error: HourNotPublished, source) -> dict:
            confirm_lost(key, error, source)
            rows = lake.clean_hour_rows(key)
            if rows and not config.accept_missing_at_source:
                raise LoadedHourKept(
                    f"hour {key}: {error}, but the lake holds it cleaned with {rows:,} events "
                    "(its raw file is gone); they are kept. To record the hour as lost anyway, "
                    "replacing its rows with none, materialise raw_archive_hour with config "
                    "accept_missing_at_source: true."
                ) from error
            # GH Archive lost some hours for good (2016-2021 outages): say so in
            # the lake, load the hour as empty, and stop asking.
            lake.record_missing_at_source(key, source.url_for(key), str(error))
            context.log.warning(f"hour {key}: {error}; recorded as missing at source")
            return {
                MISSING_AT_SOURCE: True,
                "source_url": source.url_for(key),
                "bytes": 0,
                "path": dg.MetadataValue.path(lake.uri(missing_marker_path(key))),
            }

        def fetch(key: str) -> dict:
            serving = sources_of_hour(source, settings, key)
            if [name for _, name, _ in serving] == [None]:
                return fetch_from(key, source, None)
            # Several sources (GHARCHIVE_SOURCES): each one's file, the first's at
            # the CONTRACT's raw/ path, the others' beside it under their names.
            given, lost = {}, []
            for spec, name, each in serving:
                try:
                    given[spec.name] = fetch_from(key, each, name, alone=False)
                except SourceLostHour as error:
                    lost.append(f"{spec.name}: {error}")
            if not given:
                return record_lost(key, HourNotPublished("; ".join(lost)), source)
            for reason in lost:
                context.log.warning(
                    f"hour {key}: lost by one source, loaded from the others ({reason})"
                )
            return {
                "sources": dg.MetadataValue.json(
                    {
                        name: {k: getattr(v, "value", v) for k, v in m.items() if k != "path"}
                        for name, m in given.items()
                    }
                ),
                "bytes": sum(m["bytes"] for m in given.values()),
                "sources_lacking_the_hour": len(lost),
            }

        def fetch_from(key: str, source, name: str | None, alone: bool = True) -> dict:
            path = raw_path(key, name)
            held = lake.size(path)
            if held is not None and not config.refetch:
                reused = reuse(key, held, source, name)
                if reused is not None:
                    return reused
            with lake.staging_dir() as staging:
                try:
                    download = source.download(
                        key,
                        staging / "download.json.gz",
                        lambda m: context.log.info(f"hour {key}: {m}"),
                    )
                except HourNotPublished as error:
                    if alone:
                        return record_lost(key, error, source)
                    confirm_lost(key, error, source)
                    raise SourceLostHour(str(error)) from error
                recorded = lake.recorded_source(key, name) if held is not None else None
                if config.verify_sha256 and (recorded or {}).get("sha256") == download.sha256:
                    context.log.info(f"hour {key}: verified by sha256, unchanged at the source")
                    return lake_copy_kept(
                        key, name, source, held, download.sha256, verified_sha256=True
                    )
                if recorded is not None and recorded.get("sha256") != download.sha256:
                    context.log.warning(
                        f"hour {key}: the source's file changed (sha256 "
                        f"{recorded.get('sha256', '?')[:12]} -> {download.sha256[:12]}); "
                        "the new one replaces the lake's copy"
                    )
                lake.publish(staging / "download.json.gz", path)
                lake.record_source(key, source_record(download), name)
                lake.clear_missing_at_source(key)
            context.log.info(
                f"hour {key}: {download.size / 1e6:,.1f} MB in {download.seconds:.1f} s"
            )
            metadata = {
                "source_url": dg.MetadataValue.url(download.url),
                "bytes": download.size,
                "sha256": download.sha256,
                "reused": False,
                "download_seconds": round(download.seconds, 3),
                "path": dg.MetadataValue.path(lake.uri(path)),
            }
            if download.last_modified:
                metadata["last_modified"] = download.last_modified
            return metadata

        return for_each_hour(
            context,
            fetch,
            final=(HourNotPublished, SourceUnavailable, LoadedHourKept),
            step_retries=RAW_STEP_RETRIES,
            stop_on=(SourceUnavailable,),
        )

    @dg.asset(
        name="clean_events_hour",
        group_name="lake",
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
        fraction = config.max_quarantine_fraction
        if fraction is None:
            fraction = settings.max_quarantine_fraction

        def clean(key: str) -> dict:
            if lake.size(raw_path(key)) is None and lake.is_missing_at_source(key):
                with lake.staging_dir() as staging:
                    empty = staging / "events.parquet"
                    pq.write_table(ARROW_SCHEMA.empty_table(), empty)
                    lake.publish(empty, clean_path(key))
                return {"rows": 0, MISSING_AT_SOURCE: True}
            paths = [
                (spec.name, raw_path(key, name)) for spec, name in settings.sources_serving(key)
            ]
            held = [(name, path) for name, path in paths if lake.size(path) is not None]
            # None held: the first source's path, whose absence local_copy explains.
            files = held or [(settings.archive_sources[0].name, raw_path(key))]
            with ExitStack() as stack:
                local = [(name, stack.enter_context(lake.local_copy(p))) for name, p in files]
                (first_name, first), *others = local
                result = clean_hour_into_lake(
                    lake, key, first, fraction, others, first_name, settings.max_line_bytes
                )
            for name, why in result.dropped_sources.items():
                context.log.warning(
                    f"hour {key}: source {name} left out, {why}; the hour is loaded from the "
                    "other sources. Materialise raw_archive_hour with refetch: true to "
                    "download it again."
                )
            summary = result.summary()
            counts = sorted(result.counts_by_type.items(), key=lambda item: -item[1])
            metadata = {
                "rows": result.rows,
                "quarantined_lines": result.quarantined_lines,
                "repaired_lines": result.repaired_lines,
                "first_created_at": summary["first_created_at"] or "",
                "last_created_at": summary["last_created_at"] or "",
                "events_by_type": dg.MetadataValue.md(
                    "| type | events |\n|---|---|\n"
                    + "\n".join(f"| {name} | {n:,} |" for name, n in counts)
                ),
                "repairs": dg.MetadataValue.json(dict(result.repairs)),
                **(
                    {"dropped_sources": dg.MetadataValue.json(result.dropped_sources)}
                    if result.dropped_sources
                    else {}
                ),
                "seconds": round(result.seconds, 3),
                "fast_path": SCANNER is not None,
                **(
                    {"events_by_source": dg.MetadataValue.json(result.coverage["events_by_source"])}
                    if "events_by_source" in result.coverage
                    else {}
                ),
                "raw_sha256": result.raw_sha256 or "",
                "path": dg.MetadataValue.path(lake.uri(clean_path(key))),
                # Numbers, so the UI plots them over the partitions (null ids: Timeline era).
                **{
                    name: value
                    for name, value in result.coverage.items()
                    if not isinstance(value, dict) and name != "events" and value is not None
                },
            }
            if result.quarantined_lines:
                metadata["quarantine"] = dg.MetadataValue.path(lake.uri(quarantine_path(key)))
            return metadata

        return for_each_hour(context, clean, final=(HourFailed, FileNotFoundError))

    return [raw_archive_hour, clean_events_hour]
