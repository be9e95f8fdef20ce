"""The whole pipeline on the gcp target (GCS + BigQuery + dbt-bigquery), on emulators."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import dagster as dg
import pytest
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery, storage

from gharchive_assets.dbt_project import dbt_project_for, ensure_manifest
from gharchive_assets.definitions import build_definitions
from gharchive_assets.resources.bigquery_warehouse import bigquery_schema
from gharchive_assets.resources.targets import warehouse_for
from gharchive_assets.settings import Settings
from tests import expected
from tests.pipeline import materialize_hours

FIRST, LAST = "2015-01-01-22:00", "2015-01-02-00:00"


@pytest.fixture(scope="module")
def gcp(gcs_emulator, bq_emulator, archive_server, generated_archive, tmp_path_factory):
    """Three hours through the gcp target in one run, then the middle hour again."""
    settings = Settings(
        base_url=archive_server.url,
        target="gcp",
        data_dir=tmp_path_factory.mktemp("unused"),
        gcp_project="test",
        gcs_bucket="gcp-pipeline-lake",
        bq_dataset="gharchive_e2e",
        bq_analytics_dataset="analytics_e2e",
        bq_api_endpoint=bq_emulator.endpoint,
    )
    # What terraform creates: the bucket and the two datasets.
    storage.Client(project="test", credentials=AnonymousCredentials()).create_bucket(
        settings.gcs_bucket
    )
    client = bigquery.Client(
        project="test",
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=bq_emulator.endpoint),
    )
    for dataset in (settings.bq_dataset, settings.bq_analytics_dataset):
        client.create_dataset(dataset, exists_ok=True)
    with pytest.MonkeyPatch.context() as env:
        # dbt reads its profile from the environment, as in production.
        env.setenv("GHARCHIVE_TARGET", "gcp")
        env.setenv("GHARCHIVE_GCP_PROJECT", "test")
        env.setenv("GHARCHIVE_BQ_DATASET", settings.bq_dataset)
        env.setenv("GHARCHIVE_BQ_ANALYTICS_DATASET", settings.bq_analytics_dataset)
        env.setenv("GHARCHIVE_BQ_API_ENDPOINT", bq_emulator.endpoint)
        ensure_manifest(dbt_project_for(settings), force=True)
        instance = dg.DagsterInstance.local_temp(str(tmp_path_factory.mktemp("dagster_home")))
        first = materialize_hours(settings, instance, FIRST, LAST)
        again = materialize_hours(settings, instance, "2015-01-01-23:00", "2015-01-01-23:00")
    assert first.success and again.success
    warehouse = warehouse_for(settings)
    return settings, warehouse, client, generated_archive["hours"]


def test_lake_objects_at_the_contract_paths(gcp):
    settings, _, _, hours = gcp
    names = {
        blob.name
        for blob in storage.Client(project="test", credentials=AnonymousCredentials())
        .bucket(settings.gcs_bucket)
        .list_blobs()
    }
    for hour in hours:
        assert f"raw/{hour:%Y/%m/%d}/{hour:%Y-%m-%d}-{hour.hour}.json.gz" in names
        assert f"clean/events/date={hour:%Y-%m-%d}/hour={hour:%H}/events.parquet" in names


def test_events_table_holds_each_hour_once(gcp):
    _, warehouse, client, hours = gcp
    rows = warehouse.query(
        f"select archive_hour, count(*), count(distinct id) from {warehouse.events_table} "
        "group by archive_hour order by archive_hour"
    )
    assert [(count, distinct) for _, count, distinct in rows] == [
        (len(records), len(records)) for _, records in sorted(hours.items())
    ]
    table = client.get_table("test.gharchive_e2e.events")
    assert table.time_partitioning.field == "archive_hour"
    assert table.clustering_fields == ["type", "repo_name"]
    assert table.description
    # The emulator drops column descriptions; the schema the pipeline sends has them all.
    assert all(field.description for field in bigquery_schema())
    assert [field.name for field in table.schema] == [field.name for field in bigquery_schema()]


def test_marts_on_bigquery_match_independent_figures(gcp):
    _, _, client, hours = gcp
    events = expected.deduplicated(hours)

    def rows(sql):
        return [tuple(row.values()) for row in client.query(sql).result()]

    daily = rows(
        "select day, event_type, events, actors, repos from analytics_e2e.daily_event_counts"
    )
    assert {(d, t): (n, a, r) for d, t, n, a, r in daily} == expected.daily_event_counts(events)
    repos = rows(
        "select day, repo_id, repo_name, events, stars, forks, pushes, pull_requests_opened, "
        "issues_opened from analytics_e2e.repo_activity_daily"
    )
    assert {(d, i, n): tuple(rest) for d, i, n, *rest in repos} == expected.repo_activity_daily(
        events
    )
    shares = rows(
        "select day, event_type, bot_events, human_events from analytics_e2e.bot_share_daily"
    )
    assert {(d, t): (b, h) for d, t, b, h in shares} == {
        key: value[:2] for key, value in expected.bot_share_daily(events).items()
    }
    actors = rows("select count(*), sum(events) from analytics_e2e.actor_activity_daily")
    assert actors == [(len(expected.actor_activity_daily(events)), len(events))]
    assert sum(n for _, _, n, _, _ in daily) == len(Counter(r["id"] for r in events))


def test_make_run_summary_reads_bigquery(gcp):
    from gharchive_assets.reporting.run_summary import summarise

    _, warehouse, _, hours = gcp
    text = summarise(warehouse, FIRST, LAST)
    total = sum(len(records) for records in hours.values())
    assert "3 of 3 loaded" in text
    assert f"rows loaded: {total:,}" in text


def test_gcp_and_local_targets_agree_row_for_row(gcp, archive_server, tmp_path):
    _, _, client, _ = gcp
    local = Settings(base_url=archive_server.url, data_dir=tmp_path / "data")
    with dg.instance_for_test() as instance:
        assert materialize_hours(local, instance, FIRST, LAST).success
    duckdb_warehouse = warehouse_for(local)
    for mart, columns in MART_COLUMNS.items():
        sql = f"select {columns} from {{schema}}.{mart} order by {columns}"
        on_bigquery = [
            _comparable(row.values())
            for row in client.query(sql.format(schema="analytics_e2e")).result()
        ]
        on_duckdb = [
            _comparable(row) for row in duckdb_warehouse.query(sql.format(schema="analytics"))
        ]
        assert on_bigquery, mart
        assert on_bigquery == on_duckdb, mart


# Every mart and dimension, by the columns that identify and measure it.
MART_COLUMNS = {
    "daily_event_counts": "day, event_type, events, actors, repos",
    "hourly_event_counts": "hour, event_type, events, actors, repos",
    "repo_activity_daily": "day, repo_key, repo_name, events, stars, forks, pushes",
    "actor_activity_daily": "day, actor_key, actor_login, is_bot, event_type, events",
    "bot_share_daily": "day, event_type, bot_events, human_events",
    "contributors_daily": "day, actor_key, contributions, pushes, commits_pushed, "
    "pull_requests_merged, comments, rank_with_bots, rank_without_bots",
    "org_activity_daily": "day, org_key, org_login, events, actors, repos, rank_by_events",
    "repo_popularity_daily": "day, repo_key, stars, forks, star_rank, fork_rank",
    "new_repositories_daily": "day, repo_key, repo_name, created_at, created_by",
    "pull_requests_daily": "day, repo_key, opened, closed, merged, closed_merge_unknown, "
    "round(avg_hours_to_merge, 6), merged_additions, merged_changed_files",
    "issues_daily": "day, repo_key, opened, closed, comments_on_issues, comments_on_pull_requests",
    "issue_labels_daily": "day, label, issue_events, issues_opened, pull_request_events, repos",
    "releases_daily": "day, repo_key, releases, tags, latest_tag",
    "dim_actors": "actor_key, actor_login, first_seen_at, last_seen_at, is_bot",
    "dim_repos": "repo_key, repo_name, first_seen_at, last_seen_at",
    "dim_orgs": "org_key, org_login, first_seen_at, last_seen_at",
}


def _comparable(row) -> tuple:
    """BigQuery returns aware UTC timestamps, DuckDB naive ones holding UTC."""
    return tuple(
        value.replace(tzinfo=None) if isinstance(value, datetime) else value for value in row
    )


def test_daily_report_on_gcs_from_bigquery(gcp):
    settings, _, _, hours = gcp
    day = "2015-01-01"
    result = (
        build_definitions(settings)
        .resolve_job_def("daily_report_job")
        .execute_in_process(partition_key=day, instance=dg.DagsterInstance.ephemeral())
    )
    assert result.success
    blob = (
        storage.Client(project="test", credentials=AnonymousCredentials())
        .bucket(settings.gcs_bucket)
        .blob(f"reports/{day}.html")
    )
    page = blob.download_as_text()
    events = [e for e in expected.deduplicated(hours) if str(expected.day_of(e)) == day]
    assert f"{len(events):,} public events" in page
    assert page.count("<svg") == 5
