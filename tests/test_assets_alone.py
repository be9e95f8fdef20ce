"""Each asset family run alone, as Dagster's project_dbt tests its assets: one
``dg.materialize`` with the partition and the resources, no job, schedule or
sensor around it; a real DuckDB file and a ``file://`` source.

The lake's and the warehouse's assets run in the fast lane. The dbt models and
the report need dbt's process, and GitHub's answers a server: those run in the
slow lane, with the same one call.
"""

from __future__ import annotations

import dagster as dg
import pyarrow.parquet as pq
import pytest

from gharchive_assets.contract.archive_hour import ArchiveHour
from gharchive_assets.core.dbt_project import DbtCli, dbt_executable, dbt_project_for
from gharchive_assets.core.settings import Settings
from gharchive_assets.defs.analytics import analytics_defs
from gharchive_assets.defs.events import events_defs
from gharchive_assets.defs.github import github_defs
from gharchive_assets.defs.lake import lake_defs
from gharchive_assets.defs.report import report_defs
from gharchive_assets.github.resource import TOKEN_VARIABLE, GitHubResource
from gharchive_assets.lake.paths import clean_path, raw_path
from gharchive_assets.lake.resource import LocalLakeResource
from gharchive_assets.source.resource import ArchiveSourceResource
from gharchive_assets.warehouse.duckdb_warehouse import DuckDBWarehouseResource
from tests.conftest import utc

HOURS = [utc(2015, 1, 1, 22), utc(2015, 1, 1, 23)]
DAY = "2015-01-01"


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Only what the assets' definitions read: where the data goes, its target."""
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def resources(settings, generated_archive) -> dict:
    lake_root = str(settings.lake_root)
    return {
        "source": ArchiveSourceResource(base_url=generated_archive["dir"].as_uri()),
        "lake": LocalLakeResource(root=lake_root),
        "warehouse": DuckDBWarehouseResource(
            path=str(settings.warehouse_path), lake_root=lake_root
        ),
    }


def hour_range(hours) -> dict[str, str]:
    keys = [ArchiveHour(hour).key for hour in hours]
    return {
        "dagster/asset_partition_range_start": keys[0],
        "dagster/asset_partition_range_end": keys[-1],
    }


def load_hours(settings, resources, instance, hours=HOURS) -> None:
    """The lake's two assets, then the warehouse's, each one call."""
    lake_assets = lake_defs(settings).assets
    for assets in (lake_assets, events_defs(settings).assets):
        result = dg.materialize(
            assets, resources=resources, instance=instance, tags=hour_range(hours)
        )
        assert result.success


def test_the_lakes_assets_keep_the_served_file_and_clean_it(settings, resources, generated_archive):
    hour = ArchiveHour(HOURS[0])
    raw, clean = lake_defs(settings).assets
    result = dg.materialize([raw, clean], partition_key=hour.key, resources=resources)
    assert result.success
    lake_root = settings.lake_root
    served = generated_archive["dir"] / hour.file_name
    assert (lake_root / raw_path(hour)).read_bytes() == served.read_bytes()
    rows = pq.read_metadata(lake_root / clean_path(hour)).num_rows
    assert rows == len(generated_archive["hours"][HOURS[0]])


def test_the_events_asset_loads_the_lakes_hours(settings, resources, generated_archive):
    with dg.instance_for_test() as instance:
        load_hours(settings, resources, instance)
        events = dg.AssetKey(["gharchive", "events"])
        assert instance.get_materialized_partitions(events) == {
            ArchiveHour(hour).key for hour in HOURS
        }
    warehouse = resources["warehouse"]
    loaded = warehouse.query(
        f"select archive_hour, count(distinct (id, created_at)) from {warehouse.events_table} "
        "group by 1 order by 1"
    )
    expected = [
        len({(r["id"], r["created_at"]) for r in generated_archive["hours"][hour]})
        for hour in HOURS
    ]
    assert [count for _, count in loaded] == expected


def test_the_star_history_asset_without_a_token_asks_nothing_and_says_so(
    settings, resources, monkeypatch
):
    monkeypatch.delenv(TOKEN_VARIABLE, raising=False)
    (star_history,) = github_defs(settings).assets
    unreachable = GitHubResource(api_url="http://127.0.0.1:9")
    result = dg.materialize(
        [star_history], partition_key=DAY, resources={**resources, "github": unreachable}
    )
    assert result.success
    (materialization,) = result.asset_materializations_for_node(star_history.op.name)
    assert materialization.metadata["skipped"].value == f"{TOKEN_VARIABLE} is not set"


@pytest.mark.slow
def test_the_models_and_the_report_each_run_alone(settings, resources):
    """dbt's models over the day, then the report over them: one call each."""
    with dg.instance_for_test() as instance:
        load_hours(settings, resources, instance)
        dbt = DbtCli(
            project_dir=dbt_project_for(settings),
            target=settings.dbt_target,
            dbt_executable=dbt_executable(),
        )
        models = dg.materialize(
            analytics_defs(settings).assets,
            partition_key=DAY,
            resources={**resources, "dbt": dbt},
            instance=instance,
        )
        assert models.success
        (report,) = report_defs(settings).assets
        result = dg.materialize([report], partition_key=DAY, resources=resources, instance=instance)
        assert result.success
    page = (settings.lake_root / "reports" / f"{DAY}.html").read_text()
    (materialization,) = result.asset_materializations_for_node(report.op.name)
    events = materialization.metadata["events"].value
    assert events > 0 and f"{events:,}" in page
