"""The code location: every asset, resource and automation of the project.

``dagster -m gharchive_assets.definitions`` and ``workspace.yaml`` load ``defs``;
tests call :func:`build_definitions` with their own :class:`Settings`.
"""

from __future__ import annotations

import dagster as dg
from dagster_dbt import DbtCliResource
from dagster_gcp import GCSResource

from gharchive_assets.defs.automation import (
    build_daily_report_schedule,
    build_schedule,
    build_sensor,
)
from gharchive_assets.defs.dbt_assets import build_dbt_assets, dbt_executable, dbt_project_for
from gharchive_assets.defs.lake_assets import build_lake_assets
from gharchive_assets.defs.report_assets import build_report_asset
from gharchive_assets.defs.warehouse_assets import build_warehouse_assets
from gharchive_assets.partitions import backfill_policy, daily_partitions, hourly_partitions
from gharchive_assets.resources.bigquery_warehouse import (
    BigQueryWarehouseResource,
    GharchiveBigQueryResource,
)
from gharchive_assets.resources.gcs_lake import GCSLakeResource
from gharchive_assets.resources.lake import LocalLakeResource
from gharchive_assets.resources.source import ArchiveSourceResource
from gharchive_assets.resources.warehouse import DuckDBWarehouseResource
from gharchive_assets.settings import Settings, load_settings


def build_resources(settings: Settings) -> dict:
    """The resources of the chosen target: the assets are the same for both."""
    if settings.target == "gcp":
        bigquery = GharchiveBigQueryResource(
            project=settings.gcp_project,
            location=settings.bq_location,
            api_endpoint=settings.bq_api_endpoint,
        )
        lake = GCSLakeResource(
            gcs=GCSResource(project=settings.gcp_project), bucket=settings.gcs_bucket
        )
        warehouse = BigQueryWarehouseResource(bigquery=bigquery, dataset=settings.bq_dataset)
    else:
        lake = LocalLakeResource(root=str(settings.lake_root))
        warehouse = DuckDBWarehouseResource(path=str(settings.warehouse_path))
    return {
        "source": ArchiveSourceResource(
            base_url=settings.base_url, backoff_seconds=settings.http_backoff_seconds
        ),
        "lake": lake,
        "warehouse": warehouse,
        "dbt": DbtCliResource(
            project_dir=dbt_project_for(settings),
            target=settings.dbt_target,
            dbt_executable=dbt_executable(),
        ),
    }


def build_definitions(settings: Settings) -> dg.Definitions:
    partitions = hourly_partitions(settings.start)
    policy = backfill_policy(settings.hours_per_run)
    raw_archive_hour, clean_events_hour = build_lake_assets(
        partitions,
        settings.max_quarantine_fraction,
        settings.missing_after_hours,
        policy,
        # A step retry (after the download's own tries) waits 15 x the download backoff.
        step_retry_delay_seconds=15 * settings.http_backoff_seconds,
        lake_kind="gcs" if settings.target == "gcp" else "file",
    )
    (events,) = build_warehouse_assets(
        partitions,
        clean_events_hour,
        policy,
        warehouse_kind="bigquery" if settings.target == "gcp" else "duckdb",
    )
    analytics_models = build_dbt_assets(partitions, dbt_project_for(settings), settings, policy)
    daily_report = build_report_asset(
        daily_partitions(settings.start),
        analytics=settings.bq_analytics_dataset if settings.target == "gcp" else "analytics",
    )
    hourly_assets = [raw_archive_hour, clean_events_hour, events, analytics_models]
    hourly_job = dg.define_asset_job(
        "hourly_archive_job",
        selection=dg.AssetSelection.assets(*hourly_assets),
        partitions_def=partitions,
        description="Every hourly asset for a range of hours: raw, clean, events, then dbt once.",
    )
    report_job = dg.define_asset_job(
        "daily_report_job",
        selection=dg.AssetSelection.assets(daily_report),
        partitions_def=daily_report.partitions_def,
        description="The HTML report of a UTC day, from the marts.",
    )
    return dg.Definitions(
        assets=[*hourly_assets, daily_report],
        jobs=[hourly_job, report_job],
        schedules=[build_schedule(hourly_job), build_daily_report_schedule(report_job)],
        sensors=[build_sensor(hourly_job, partitions, settings.sensor_lookback_hours)],
        resources=build_resources(settings),
        # The hourly chain is linear: steps cannot overlap, so running them in
        # one process saves a process start (and definitions load) per step.
        executor=dg.in_process_executor,
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions(load_settings())
