"""The whole pipeline on the gcp target (GCS + BigQuery + dbt-bigquery), on emulators."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from gharchive_assets.core.partitions import day_of
from gharchive_assets.core.settings import Settings
from gharchive_assets.definitions import build_definitions
from gharchive_assets.instance import local_instance
from gharchive_assets.warehouse.bigquery_warehouse import bigquery_schema
from gharchive_assets.warehouse.target import warehouse_for
from tests import expected
from tests.bq_emulator import client_for
from tests.github_server import GitHubServer, weeks_of
from tests.iam_proxy import PIPELINE, ProxyProcess, holds, terraform_grants
from tests.pipeline import (
    materialize_days,
    materialize_hours,
    star_history_alone,
    step_failure_message,
)
from tests.synthetic import write_hour

# Starts processes, servers or emulators: not in the fast lane.
pytestmark = pytest.mark.slow

FIRST, LAST = "2015-01-01-22:00", "2015-01-02-00:00"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def gcp(gcs_emulator, bq_emulator, archive_server, generated_archive, tmp_path_factory):
    """Three hours downloaded, cleaned and swapped into BigQuery by four runs
    started together over overlapping hours and days, as a backfill's queue
    starts them; then the models, built once. (Four runs at once with dbt in
    each run the local target: tests/test_operator_faults.py.) Every call of
    the runs, dbt and the checks below goes through the IAM proxies, as the
    pipeline's identity with what terraform grants it."""
    with ExitStack() as stack:
        yield _gcp(stack, gcs_emulator, bq_emulator, archive_server, generated_archive,
                   tmp_path_factory)  # fmt: skip


def _gcp(stack, gcs_emulator, bq_emulator, archive_server, generated_archive, tmp_path_factory):
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
    client = client_for(bq_emulator.endpoint)
    for dataset in (settings.bq_dataset, settings.bq_analytics_dataset):
        client.create_dataset(dataset, exists_ok=True)
    # From here on, as the pipeline: the emulators only through the proxies.
    grants = holds(terraform_grants({
        "${google_storage_bucket.lake.name}": settings.gcs_bucket,
        "${google_bigquery_dataset.events.dataset_id}": settings.bq_dataset,
        "${google_bigquery_dataset.analytics.dataset_id}": settings.bq_analytics_dataset,
    })[PIPELINE])  # fmt: skip
    logs = tmp_path_factory.mktemp("iam")
    gcs = stack.enter_context(ProxyProcess("gcs", gcs_emulator.host, grants, logs))
    load_reads = {f"gs://{settings.gcs_bucket}": grants[settings.gcs_bucket]}
    bq = stack.enter_context(
        ProxyProcess("bigquery", bq_emulator.endpoint, {**grants, **load_reads}, logs)
    )
    PROXIES.update(gcs=gcs, bq=bq)
    storage_host = stack.enter_context(pytest.MonkeyPatch.context())
    storage_host.setenv("STORAGE_EMULATOR_HOST", gcs.host)
    settings = dataclasses.replace(settings, bq_api_endpoint=bq.host)
    home = tmp_path_factory.mktemp("dagster_home")
    shutil.copyfile(REPO / "deploy" / "dagster.local.yaml", home / "dagster.yaml")
    local_instance.prepare(home)
    with dbt_environment(settings):
        env = {**os.environ, "DAGSTER_HOME": str(home), "GHARCHIVE_BASE_URL": archive_server.url,
               "GHARCHIVE_GCS_BUCKET": settings.gcs_bucket}  # fmt: skip
        env.pop("GHARCHIVE_START", None)
        runs = [
            subprocess.Popen(
                [sys.executable, "-m", "tests.run_hours", first, last],
                env=env,
                cwd=REPO,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for first, last in OVERLAPPING_RUNS
        ]
        for run in runs:
            _, stderr = run.communicate(timeout=900)
            assert run.returncode == 0, stderr[-3000:]
        # Then the models, once, over every day the runs loaded.
        with dg.instance_for_test() as instance:
            models = materialize_days(
                build_definitions(settings), instance, day_of(FIRST), day_of(LAST)
            )
        assert models.success
    warehouse = warehouse_for(settings)
    return settings, warehouse, client, generated_archive["hours"]


PROXIES: dict = {}


def test_every_call_was_one_terraform_grants(gcp):
    """What production's IAM would have refused: nothing, and the proxies saw
    the calls (the libraries' as well as ours)."""
    gcs, bq = PROXIES["gcs"], PROXIES["bq"]
    assert gcs.refused == [] and bq.refused == []
    # BigQuery's rules on jobs at once and their size (tests/iam_proxy.py,
    # BigQueryRules): no job wrote too many partitions or overflowed a table's
    # DML queue. The four overlapping runs below re-load the same hours at once:
    # BigQuery aborts all but one MERGE into events, and each is tried again.
    assert [b for b in bq.broken if "Transaction is aborted" not in b] == []
    assert {"storage.objects.create", "storage.objects.get"} <= {a.split()[0] for a in gcs.allowed}
    seen = {a.split()[0] for a in bq.allowed}
    assert {"bigquery.jobs.create", "bigquery.tables.create", "bigquery.tables.updateData",
            "bigquery.tables.getData", "storage.objects.get"} <= seen  # fmt: skip


# Four runs at once over FIRST..LAST: the same hours, and the same days, twice or more.
OVERLAPPING_RUNS = (
    (FIRST, "2015-01-01-23:00"),
    ("2015-01-01-23:00", LAST),
    (FIRST, LAST),
    ("2015-01-01-23:00", "2015-01-01-23:00"),
)


@contextmanager
def dbt_environment(settings: Settings) -> Iterator[None]:
    """dbt reads its profile from the environment, as in production."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GHARCHIVE_TARGET", "gcp")
        env.setenv("GHARCHIVE_GCP_PROJECT", "test")
        env.setenv("GHARCHIVE_BQ_DATASET", settings.bq_dataset)
        env.setenv("GHARCHIVE_BQ_ANALYTICS_DATASET", settings.bq_analytics_dataset)
        env.setenv("GHARCHIVE_BQ_API_ENDPOINT", settings.bq_api_endpoint)
        yield


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
        "where created_at >= timestamp '2011-02-12' group by archive_hour order by archive_hour"
    )
    assert [(count, distinct) for _, count, distinct in rows] == [
        (len(records), len(records)) for _, records in sorted(hours.items())
    ]
    table = client.get_table("test.gharchive_e2e.events")
    assert table.time_partitioning.field == "created_at"
    assert table.clustering_fields == ["archive_hour", "type", "repo_name"]
    # The daily marts are partitioned by day, each run overwriting its days.
    mart = client.get_table("test.analytics_e2e.daily_event_counts")
    assert (mart.time_partitioning.type_, mart.time_partitioning.field) == ("DAY", "day")
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


def test_gcp_and_local_targets_agree_row_for_row(gcp, archive_server, generated_archive, tmp_path):
    """Value for value, and again after the archive corrects an hour with fewer
    events: keys that vanished go from both (BigQuery overwrites the day's
    partitions, DuckDB deletes and inserts the day)."""
    settings, _, client, _ = gcp
    local = Settings(base_url=archive_server.url, data_dir=tmp_path / "data")
    with dg.instance_for_test() as instance:
        assert materialize_hours(local, instance, FIRST, LAST).success
        assert_targets_agree(client, warehouse_for(local))

        # The corrected hour: 23:00 keeps the first half of its events.
        mirror = tmp_path / "corrected"
        shutil.copytree(generated_archive["dir"], mirror)
        hour = datetime(2015, 1, 1, 23, tzinfo=UTC)
        records = generated_archive["hours"][hour]
        write_hour(mirror, hour, records[: len(records) // 2])
        repos_before = set(repo_keys(client))
        for target in (dataclasses.replace(settings, base_url=mirror.as_uri()),
                       dataclasses.replace(local, base_url=mirror.as_uri())):  # fmt: skip
            with dbt_environment(settings):
                run = materialize_hours(target, instance, "2015-01-01-23:00", "2015-01-01-23:00")
            assert run.success
    assert set(repo_keys(client)) < repos_before, "some repositories left with the events"
    assert_targets_agree(client, warehouse_for(local))


def repo_keys(client) -> list[str]:
    sql = "select repo_key from analytics_e2e.repo_activity_daily where day = date '2015-01-01'"
    return [row[0] for row in client.query(sql).result()]


def assert_targets_agree(client, duckdb_warehouse) -> None:
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
    "actor_behaviour_daily": "day, actor_key, actor_login, events, active_hours, "
    "max_events_in_an_hour, max_pushes_in_an_hour, is_bot_by_behaviour, is_bot",
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
    "repo_name_history": "repo_key, repo_id, repo_name, first_seen_at, last_seen_at, is_latest",
    "actor_login_history": "actor_key, actor_id, id_from_name, actor_login, first_seen_at, "
    "last_seen_at, is_latest",
    "coverage_hourly": "archive_hour, events, distinct_event_ids, min_event_id, max_event_id, "
    "round(capture_ratio, 9), round(outside_hour_share, 9), raw_bytes, is_missing, is_degraded",
    "coverage_daily": "day, hours_loaded, hours_degraded, events, round(capture_ratio, 9)",
}


def _comparable(row) -> tuple:
    """BigQuery returns aware UTC timestamps, DuckDB naive ones holding UTC."""
    return tuple(
        value.replace(tzinfo=None) if isinstance(value, datetime) else value for value in row
    )


def test_dashboard_views_read_bigquery_from_the_rollups(gcp):
    """Every view's SQL as BigQuery gets it, run on the emulator: over the
    loaded days, and over November 2014 to January 2015, whole months the
    rollups answer, the same as the daily marts alone. Each read of a mart
    or rollup is bounded by its partitioning column (day or month)."""
    import sqlglot
    from sqlglot import exp

    from gharchive_assets.reporting.marts import Filters, MartsReader
    from tests.test_dashboard_queries import VIEW_CALLS, both_ways, same

    _, warehouse, _, _ = gcp
    marts = MartsReader(warehouse, "bigquery")
    sent = []
    query = warehouse.query
    object.__setattr__(
        warehouse, "query", lambda sql, parameters=None: sent.append(sql) or query(sql, parameters)
    )
    try:
        first, last = marts.loaded_days()
        months = Filters(datetime(2014, 11, 1).date(), datetime(2015, 1, 31).date())
        for filters in (Filters(first, last), months):
            for method, arguments in VIEW_CALLS:
                same(*both_ways(marts, method, filters, *arguments))
        headline = marts.headline(months)
        top = marts.top_repositories(months, "events", 3)
        history = marts.repository_history(months, top["repo_key"].iloc[0])
    finally:
        object.__delattr__(warehouse, "query")
    # The events loaded now (test_gcp_and_local_targets_agree_row_for_row may
    # have corrected an hour before this test), counted by the daily mart.
    ((loaded,),) = warehouse.query("select sum(events) from analytics_e2e.daily_event_counts")
    assert headline["events"] == loaded > 0
    assert history.columns[0] == "month" and history["events"].sum() == top["events"].iloc[0]
    assert any("_monthly" in sql for sql in sent), "the rollups were read"
    unbounded = []
    for sql in sent:
        for table in sqlglot.parse_one(sql, read="bigquery").find_all(exp.Table):
            if not table.name.endswith(("_daily", "_monthly", "pull_request_merges")):
                continue
            column = "month" if table.name.endswith("_monthly") else "day"
            where = table.find_ancestor(exp.Select).args.get("where")
            bounds = [
                p for p in (where.find_all(exp.Between, exp.EQ) if where else [])
                if isinstance(p.this, exp.Column) and p.this.name == column
            ]  # fmt: skip
            if not bounds:
                unbounded.append(f"{table.name} in {sql}")
    assert not unbounded, "\n".join(unbounded)


def test_star_history_on_bigquery_beside_the_archives(gcp, monkeypatch):
    """github/star_history on the gcp target, through the IAM proxies: the
    answers kept in GCS, the rows swapped into BigQuery from there, and
    analytics.repo_stars_daily (a view) setting them beside the archive's."""
    settings, _, client, hours = gcp
    day = date(2015, 1, 1)
    names = {r["repo"]["name"] for records in hours.values() for r in records}
    histories = {
        name: {day - timedelta(days=n): (len(name) * 7 + n) % 11 for n in range(40)}
        for name in names
    }
    with GitHubServer(histories, date(2015, 1, 20)) as github:
        monkeypatch.setenv("GITHUB_TOKEN", github.token)
        target = dataclasses.replace(settings, github_api_url=github.url, star_history_repos=2)
        # repo_stars_daily is a view the fixture's build made: it reads the table as it is.
        with dbt_environment(target), dg.instance_for_test() as instance:
            stars = star_history_alone(target, instance, day)
            assert stars.success, step_failure_message(stars)
    rows = [
        tuple(row.values())
        for row in client.query(
            "select mart.repo_name, mart.github_stars, mart.archive_stars, activity.stars "
            "from analytics_e2e.repo_stars_daily as mart left join "
            "analytics_e2e.repo_activity_daily as activity on activity.day = mart.day "
            "and activity.repo_key = cast(mart.repo_id as string) "
            "where mart.day = date '2015-01-01'"
        ).result()
    ]
    assert 2 <= len(rows) <= 4, rows
    for name, github_stars, archive_stars, activity_stars in rows:
        assert github_stars == histories[name][day], name
        assert archive_stars == (activity_stars or 0), name
    (kept,) = client.query("select count(*) from gharchive_e2e.github_star_history").result()
    served_days = sum(7 * len(weeks_of(histories[name], date(2015, 1, 20))) for name, *_ in rows)
    assert kept[0] == served_days, "every day of every week GitHub gave, zeros included"
