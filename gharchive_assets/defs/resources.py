"""Every resource the code location's assets, checks and sensors name, for the
chosen target (``GHARCHIVE_TARGET``), assembled here and only here.

Each comes from its own domain's package: the archive ``source``, the ``lake``
and the ``warehouse`` (a directory and DuckDB locally, GCS and BigQuery on
gcp), ``github``'s API, and dbt (``core.dbt_project``). The assets are the
same for both targets; only these objects differ.
"""

from __future__ import annotations

import dagster as dg

from gharchive_assets.core.dbt_project import DbtCli, dbt_executable, dbt_project_for
from gharchive_assets.core.settings import Settings
from gharchive_assets.github.resource import GitHubResource
from gharchive_assets.lake.target import lake_for
from gharchive_assets.source.resource import ArchiveSourceResource
from gharchive_assets.warehouse.target import warehouse_for


def resources_for(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    """Each resource keyed by the name the assets give it."""
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


def target_resources(settings: Settings) -> dg.Definitions:
    return dg.Definitions(resources=resources_for(settings))
