"""The chosen target's resources, resolved once from the settings.

``local``: a directory lake and DuckDB. ``gcp``: a GCS bucket and BigQuery.
The assets are the same for both; only these objects differ. The defs
folder's ``resources`` module puts them in the code location; the run
summary and the dashboard take just the warehouse, without loading the code
location: dagster-dbt and the GCS client are imported only by what uses them.
"""

from __future__ import annotations

from gharchive_assets.core.settings import Settings
from gharchive_assets.lake.gcs import GCSLakeResource
from gharchive_assets.lake.resource import LakeResource, LocalLakeResource
from gharchive_assets.resources.github import GitHubResource
from gharchive_assets.resources.source import ArchiveSourceResource
from gharchive_assets.warehouse.bigquery_warehouse import (
    BigQueryWarehouseResource,
    GharchiveBigQueryResource,
)
from gharchive_assets.warehouse.duckdb_warehouse import DuckDBWarehouseResource
from gharchive_assets.warehouse.resource import WarehouseResource


def lake_for(settings: Settings) -> LakeResource:
    if settings.target == "gcp":
        from dagster_gcp import GCSResource

        return GCSLakeResource(
            gcs=GCSResource(project=settings.gcp_project), bucket=settings.gcs_bucket
        )
    return LocalLakeResource(root=str(settings.lake_root))


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


def resources_for(settings: Settings) -> dict:
    """Every resource the assets, checks and sensor name, keyed as they name them."""
    from gharchive_assets.core.dbt_project import DbtCli, dbt_executable, dbt_project_for

    return {
        "source": ArchiveSourceResource(
            base_url=settings.base_url, backoff_seconds=settings.http_backoff_seconds
        ),
        "lake": lake_for(settings),
        "warehouse": warehouse_for(settings),
        "github": GitHubResource(api_url=settings.github_api_url),
        "dbt": DbtCli(
            project_dir=dbt_project_for(settings),
            target=settings.dbt_target,
            dbt_executable=dbt_executable(),
        ),
    }
