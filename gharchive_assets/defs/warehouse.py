"""The warehouse table ``events``, loaded hour by hour from the clean lake."""

import json
import statistics
from datetime import timedelta

import dagster as dg

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
                description="No event id twice within an archive hour (GH Archive has some).",
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
            return {"rows": load.rows, "replaced_rows": load.replaced_rows}

        result = for_each_hour(context, load)
        return dg.MaterializeResult(metadata=result.metadata, check_results=check_results(findings))

    return events


DUPLICATES_CHECK = "no_duplicate_ids_within_hour"
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
