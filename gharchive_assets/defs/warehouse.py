"""The warehouse table ``events``, loaded hour by hour from the clean lake."""

import json
import statistics
from datetime import timedelta

import dagster as dg

from gharchive_assets.clean.coverage import (
    DEGRADED_BELOW,
    TRAILING_HOURS,
    LedgerCoverage,
    degradation,
)
from gharchive_assets.concurrency import WAREHOUSE_SWAPS
from gharchive_assets.contract.lake_paths import clean_path, parse_key
from gharchive_assets.partitions import backfill_policy, for_each_hour, hourly_partitions
from gharchive_assets.resources.lake import LakeResource
from gharchive_assets.resources.warehouse import WarehouseResource
from gharchive_assets.settings import Settings, current_settings

EVENTS_ASSET_KEY = dg.AssetKey(["gharchive", "events"])
CLEAN_EVENTS_HOUR = dg.AssetKey(["clean_events_hour"])


@dg.definitions
def warehouse_defs() -> dg.Definitions:
    return dg.Definitions(assets=[build_events_asset(current_settings())])


def build_events_asset(settings: Settings) -> dg.AssetsDefinition:
    @dg.asset(
        key=EVENTS_ASSET_KEY,
        group_name="warehouse",
        pool=WAREHOUSE_SWAPS,
        deps=[CLEAN_EVENTS_HOUR],
        check_specs=[
            dg.AssetCheckSpec(
                DUPLICATES_CHECK,
                asset=EVENTS_ASSET_KEY,
                description=(
                    "No event twice within an archive hour (GH Archive has some): an event "
                    "is its id and created_at, since GitHub's ids repeat across years."
                ),
            ),
            dg.AssetCheckSpec(
                COVERAGE_CHECK,
                asset=EVENTS_ASSET_KEY,
                description=(
                    "Each hour's capture ratio and events at least "
                    f"{DEGRADED_BELOW:.0%} of their median over the loaded hours of the "
                    f"{TRAILING_HOURS} before it (analytics.coverage_hourly.is_degraded)."
                ),
            ),
            dg.AssetCheckSpec(
                BAND_CHECK,
                asset=EVENTS_ASSET_KEY,
                description=(
                    f"Each hour's rows within {BAND[0]:.0%}..{BAND[1]:.0%} of the median of "
                    f"the {HISTORY_HOURS} hours loaded before it."
                ),
            ),
        ],
        partitions_def=hourly_partitions(settings.start),
        backfill_policy=backfill_policy(settings.hours_per_run),
        kinds={settings.warehouse_kind},
        # Loaded hour by hour: warn after two hours without a load, fail after three.
        freshness_policy=dg.FreshnessPolicy.time_window(
            fail_window=timedelta(hours=3), warn_window=timedelta(hours=2)
        ),
        description=(
            "One row per event. Materialising an hour replaces that hour's rows "
            "(by archive_hour) in one transaction; other hours are untouched."
        ),
    )
    def events(
        context: dg.AssetExecutionContext, lake: LakeResource, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        findings: dict[str, tuple[int, int, float | None]] = {}
        degraded: dict[str, str] = {}
        captures: dict[str, float | None] = {}

        def load(key: str) -> dict:
            hour = parse_key(key)
            footer = lake.parquet_metadata(clean_path(key))
            coverage = json.loads(footer["coverage"]) if "coverage" in footer else None
            load = warehouse.replace_hour(
                hour, lake.uri(clean_path(key)), footer.get("raw_sha256") or "", coverage
            )
            context.log.info(
                f"hour {key}: {load.rows:,} rows loaded, {load.replaced_rows:,} replaced"
            )
            before = warehouse.rows_of_hours_before(hour, HISTORY_HOURS)
            findings[key] = (
                load.rows,
                warehouse.duplicate_ids_in_hour(hour),
                statistics.median(before) if len(before) >= MIN_HISTORY else None,
            )
            figures = LedgerCoverage.of(load.rows, coverage)
            captures[key] = figures.capture_ratio
            trailing = warehouse.coverage_of_hours_before(hour, TRAILING_HOURS)
            if reason := degradation(figures, trailing):
                degraded[key] = reason
            return {"rows": load.rows, "replaced_rows": load.replaced_rows}

        result = for_each_hour(context, load)
        return dg.MaterializeResult(
            metadata=result.metadata,
            check_results=[*check_results(findings), coverage_result(degraded, captures)],
        )

    return events


DUPLICATES_CHECK = "no_duplicate_ids_within_hour"
COVERAGE_CHECK = "coverage_not_degraded"
BAND_CHECK = "rows_in_plausible_band"
BAND = (0.2, 5.0)
HISTORY_HOURS = 24
MIN_HISTORY = 6


def check_results(findings: dict[str, tuple[int, int, float | None]]) -> list:
    """The two checks over the run's hours; warnings, since the archive itself varies."""
    duplicated = {key: dups for key, (_, dups, _) in findings.items() if dups}
    outside = {
        key: f"{rows:,} rows against a median of {median:,.0f}"
        for key, (rows, _, median) in findings.items()
        if median and not BAND[0] * median <= rows <= BAND[1] * median
    }
    return [
        dg.AssetCheckResult(
            check_name=DUPLICATES_CHECK,
            passed=not duplicated,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "hours_checked": len(findings),
                "hours_with_duplicates": dg.MetadataValue.json(duplicated),
            },
        ),
        dg.AssetCheckResult(
            check_name=BAND_CHECK,
            passed=not outside,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "hours_checked": len(findings),
                "hours_without_history": sum(m is None for _, _, m in findings.values()),
                "hours_outside_band": dg.MetadataValue.json(outside),
            },
        ),
    ]


def coverage_result(
    degraded: dict[str, str], captures: dict[str, float | None]
) -> dg.AssetCheckResult:
    """A warning naming the run's degraded hours and why: their figures are
    less to be trusted (GH Archive has caught far fewer events since 2025-05-23)."""
    known = [c for c in captures.values() if c is not None]
    return dg.AssetCheckResult(
        check_name=COVERAGE_CHECK,
        passed=not degraded,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            f"{len(degraded)} of {len(captures)} hours degraded: see analytics.coverage_hourly"
            if degraded
            else f"{len(captures)} hours, none degraded"
        ),
        metadata={
            "hours_checked": len(captures),
            "hours_degraded": dg.MetadataValue.json(degraded),
            "hours_without_ids": len(captures) - len(known),
            **({"lowest_capture_ratio": round(min(known), 6)} if known else {}),
        },
    )
