"""The warehouse table ``events``, loaded hour by hour from the clean lake."""

import statistics
from datetime import timedelta

import dagster as dg

from gharchive_assets.defs.hourly import for_each_hour
from gharchive_assets.defs.lake_assets import clean_file_raw_sha256
from gharchive_assets.lake_paths import clean_path, parse_key
from gharchive_assets.resources.lake import LakeResource
from gharchive_assets.resources.warehouse import WarehouseResource

EVENTS_ASSET_KEY = dg.AssetKey(["gharchive", "events"])


def build_warehouse_assets(
    partitions: dg.PartitionsDefinition,
    clean_events_hour: dg.AssetsDefinition,
    backfill_policy: dg.BackfillPolicy | None = None,
    warehouse_kind: str = "duckdb",
) -> list[dg.AssetsDefinition]:
    @dg.asset(
        key=EVENTS_ASSET_KEY,
        group_name="warehouse",
        deps=[clean_events_hour],
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
        partitions_def=partitions,
        backfill_policy=backfill_policy or dg.BackfillPolicy.single_run(),
        kinds={warehouse_kind},
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
            path = clean_path(key)
            sha256 = clean_file_raw_sha256(lake, key)
            load = warehouse.replace_hour(parse_key(key), lake.uri(path), sha256 or "")
            context.log.info(
                f"hour {key}: {load.rows:,} rows loaded, {load.replaced_rows:,} replaced"
            )
            findings[key] = (
                load.rows,
                duplicate_ids(warehouse, key),
                recent_median(warehouse, key),
            )
            return {"rows": load.rows, "replaced_rows": load.replaced_rows}

        result = for_each_hour(context, load)
        return dg.MaterializeResult(metadata=result.metadata, check_results=check_results(findings))

    return [events]


DUPLICATES_CHECK = "no_duplicate_ids_within_hour"
BAND_CHECK = "rows_in_plausible_band"
BAND = (0.2, 5.0)
HISTORY_HOURS = 24
MIN_HISTORY = 6


def duplicate_ids(warehouse: WarehouseResource, key: str) -> int:
    return warehouse.query(
        f"select count(*) - count(distinct id) from {warehouse.events_table} "
        "where archive_hour = ?",
        [parse_key(key).replace(tzinfo=None)],
    )[0][0]


def recent_median(warehouse: WarehouseResource, key: str) -> float | None:
    """The median rows of the hours loaded before ``key`` (None with too little history)."""
    rows = [
        count
        for (count,) in warehouse.query(
            f"select rows from {warehouse.loaded_hours_table} where archive_hour < ? "
            "order by archive_hour desc limit ?",
            [parse_key(key).replace(tzinfo=None), HISTORY_HOURS],
        )
    ]
    return statistics.median(rows) if len(rows) >= MIN_HISTORY else None


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
