"""The warehouse table ``events``, loaded hour by hour from the clean lake.

The body hands each hour to ``hours.HourLoader``; the three checks report
what it found over the run's hours.
"""

from datetime import timedelta

import dagster as dg

from gharchive_assets.clean.coverage import DEGRADED_BELOW, TRAILING_HOURS
from gharchive_assets.contract.archive_hour import ArchiveHour
from gharchive_assets.core.concurrency import WAREHOUSE_SWAPS
from gharchive_assets.core.partitions import (
    HOURS_GROUP,
    backfill_policy,
    for_each_hour,
    hourly_partitions,
)
from gharchive_assets.core.settings import Settings
from gharchive_assets.hours.loader import BAND, HISTORY_HOURS, HourLoader, LoadFindings
from gharchive_assets.lake.resource import LakeResource
from gharchive_assets.warehouse.resource import WarehouseResource

EVENTS_ASSET_KEY = dg.AssetKey(["gharchive", "events"])
CLEAN_EVENTS_HOUR = dg.AssetKey(["clean_events_hour"])
DUPLICATES_CHECK = "no_duplicate_ids_within_hour"
COVERAGE_CHECK = "coverage_not_degraded"
BAND_CHECK = "rows_in_plausible_band"

CHECK_SPECS = [
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
]


def events_defs(settings: Settings) -> dg.Definitions:
    @dg.asset(
        key=EVENTS_ASSET_KEY,
        group_name=HOURS_GROUP,
        pool=WAREHOUSE_SWAPS,
        deps=[CLEAN_EVENTS_HOUR],
        check_specs=CHECK_SPECS,
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
        loader = HourLoader(lake, warehouse, context.log)
        loader.load_new_together(context.partition_keys)
        # Each hour recorded as it lands: a run killed mid-step leaves the instance
        # and the warehouse agreeing on what loaded.
        load = lambda key: loader.load(ArchiveHour.of(key))  # noqa: E731
        result = for_each_hour(context, load, report_each=True)
        return dg.MaterializeResult(
            metadata=result.metadata, check_results=check_results(loader.findings)
        )

    return dg.Definitions(assets=[events])


def check_results(found: LoadFindings) -> list[dg.AssetCheckResult]:
    """The three checks over the run's hours; warnings, since the archive itself varies."""
    duplicated, outside = found.duplicated_hours(), found.hours_outside_band()
    known = [c for c in found.captures.values() if c is not None]
    return [
        dg.AssetCheckResult(
            check_name=DUPLICATES_CHECK,
            passed=not duplicated,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "hours_checked": len(found.rows),
                "hours_with_duplicates": dg.MetadataValue.json(duplicated),
            },
        ),
        dg.AssetCheckResult(
            check_name=BAND_CHECK,
            passed=not outside,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "hours_checked": len(found.rows),
                "hours_without_history": sum(m is None for m in found.medians.values()),
                "hours_outside_band": dg.MetadataValue.json(outside),
            },
        ),
        # Degraded hours' figures are less to be trusted (GH Archive has caught
        # far fewer events since 2025-05-23).
        dg.AssetCheckResult(
            check_name=COVERAGE_CHECK,
            passed=not found.degraded,
            severity=dg.AssetCheckSeverity.WARN,
            description=(
                f"{len(found.degraded)} of {len(found.captures)} hours degraded: "
                "see analytics.coverage_hourly"
                if found.degraded
                else f"{len(found.captures)} hours, none degraded"
            ),
            metadata={
                "hours_checked": len(found.captures),
                "hours_degraded": dg.MetadataValue.json(found.degraded),
                "hours_without_ids": len(found.captures) - len(known),
                **({"lowest_capture_ratio": round(min(known), 6)} if known else {}),
            },
        ),
    ]
