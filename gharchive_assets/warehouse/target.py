"""The chosen target's warehouse (``GHARCHIVE_TARGET``): a DuckDB file locally,
BigQuery's datasets on gcp. The run summary and the dashboard take it alone,
without loading the code location."""

from __future__ import annotations

from gharchive_assets.core.settings import Settings
from gharchive_assets.warehouse.bigquery_warehouse import (
    BigQueryWarehouseResource,
    GharchiveBigQueryResource,
)
from gharchive_assets.warehouse.duckdb_warehouse import DuckDBWarehouseResource
from gharchive_assets.warehouse.resource import WarehouseResource


def warehouse_for(settings: Settings) -> WarehouseResource:
    if settings.target == "gcp":
        return BigQueryWarehouseResource(
            bigquery=GharchiveBigQueryResource(
                project=settings.gcp_project,
                location=settings.bq_location,
                api_endpoint=settings.bq_api_endpoint,
            ),
            dataset=settings.bq_dataset,
            analytics_dataset=settings.bq_analytics_dataset,
        )
    return DuckDBWarehouseResource(
        path=str(settings.warehouse_path), lake_root=str(settings.lake_root)
    )
