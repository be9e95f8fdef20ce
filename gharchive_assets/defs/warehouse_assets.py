"""The warehouse table ``events``, loaded hour by hour from the clean lake."""

import dagster as dg

from gharchive_assets.defs.hourly import for_each_hour
from gharchive_assets.defs.lake_assets import clean_file_raw_sha256
from gharchive_assets.lake_paths import clean_path, parse_key
from gharchive_assets.resources.lake import LakeResource
from gharchive_assets.resources.warehouse import WarehouseResource

EVENTS_ASSET_KEY = dg.AssetKey(["gharchive", "events"])


def build_warehouse_assets(
    partitions: dg.PartitionsDefinition, clean_events_hour: dg.AssetsDefinition
) -> list[dg.AssetsDefinition]:
    @dg.asset(
        key=EVENTS_ASSET_KEY,
        group_name="warehouse",
        deps=[clean_events_hour],
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        kinds={"duckdb", "bigquery"},
        description=(
            "One row per event. Materialising an hour replaces that hour's rows "
            "(by archive_hour) in one transaction; other hours are untouched."
        ),
    )
    def events(
        context: dg.AssetExecutionContext, lake: LakeResource, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        def load(key: str) -> dict:
            path = clean_path(key)
            sha256 = clean_file_raw_sha256(lake, key)
            load = warehouse.replace_hour(parse_key(key), lake.uri(path), sha256 or "")
            context.log.info(
                f"hour {key}: {load.rows:,} rows loaded, {load.replaced_rows:,} replaced"
            )
            return {"rows": load.rows, "replaced_rows": load.replaced_rows}

        return for_each_hour(context, load)

    return [events]
