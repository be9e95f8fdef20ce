"""The BigQuery warehouse (gcp target) against bqemulator and the GCS emulator."""

from __future__ import annotations

import shutil
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dagster_gcp import GCSResource
from google.api_core import exceptions as google_errors
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery, storage

from gharchive_assets.clean import clean_hour_into_lake
from gharchive_assets.contract.archive_hour import ArchiveHour
from gharchive_assets.lake.gcs import GCSLakeResource
from gharchive_assets.lake.paths import clean_path
from gharchive_assets.warehouse import bigquery_warehouse
from gharchive_assets.warehouse.bigquery_warehouse import (
    LOADED_HOURS_SCHEMA,
    BigQueryWarehouseResource,
    EventsTableLayoutError,
    GharchiveBigQueryResource,
    WarehouseAccessError,
    WarehouseConflictError,
    bigquery_schema,
    retry_conflicts,
    staging_table,
)
from gharchive_assets.warehouse.duckdb_warehouse import DuckDBWarehouseResource, duckdb_table_ddl
from gharchive_assets.warehouse.interface import HourFile
from tests.bq_emulator import client_for
from tests.iam_proxy import ROLES, BigQueryIamProxy

# Starts processes, servers or emulators: not in the fast lane.
pytestmark = pytest.mark.slow

KEY = "2015-01-01-23:00"
HOUR = ArchiveHour.of(KEY)
BUCKET = "warehouse-lake"


@pytest.fixture(scope="module")
def bq_endpoint(bq_emulator):
    client_for(bq_emulator.endpoint).create_dataset("gharchive", exists_ok=True)
    return bq_emulator.endpoint


@pytest.fixture(scope="module")
def clean_hour_in_bucket(gcs_emulator, generated_archive):
    """The generated 23:00 hour, cleaned into the GCS lake."""
    storage.Client(project="test", credentials=AnonymousCredentials()).create_bucket(BUCKET)
    lake = GCSLakeResource(gcs=GCSResource(project="test"), bucket=BUCKET)
    raw_file = generated_archive["dir"] / "2015-01-01-23.json.gz"
    result = clean_hour_into_lake(lake, HOUR, raw_file)
    records = next(r for hour, r in generated_archive["hours"].items() if hour.hour == 23)
    return lake, result, records


def warehouse(endpoint: str, dataset: str = "gharchive") -> BigQueryWarehouseResource:
    return BigQueryWarehouseResource(
        bigquery=GharchiveBigQueryResource(project="test", api_endpoint=endpoint),
        dataset=dataset,
    )


def duckdb_beside(lake, root: Path, name: str) -> tuple[DuckDBWarehouseResource, str]:
    """A DuckDB warehouse whose local lake holds the bucket's clean hour: it
    loads only its own lake's files, whose payloads its view reads."""
    local = root / "lake" / clean_path(HOUR)
    local.parent.mkdir(parents=True, exist_ok=True)
    with lake.local_copy(clean_path(HOUR)) as clean_file:
        shutil.copyfile(clean_file, local)
    return DuckDBWarehouseResource(path=str(root / name)), str(local)


def test_an_hour_is_swapped_in_once_however_often_it_is_loaded(bq_endpoint, clean_hour_in_bucket):
    lake, cleaned, records = clean_hour_in_bucket
    bq = warehouse(bq_endpoint)
    uri = lake.uri(clean_path(HOUR))
    first = bq.replace_hour(HOUR, uri, cleaned.raw_sha256)
    assert (first.rows, first.replaced_rows) == (len(records), 0)
    second = bq.replace_hour(HOUR, uri, cleaned.raw_sha256)
    assert (second.rows, second.replaced_rows) == (len(records), len(records))

    # Two runs of the hour at the same time.
    threads = [
        threading.Thread(target=bq.replace_hour, args=(HOUR, uri, cleaned.raw_sha256))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    ((count, distinct),) = bq.query(
        f"select count(*), count(distinct id) from {bq.events_table} where archive_hour = ?",
        [ArchiveHour.of(KEY).start],
    )
    assert count == distinct == len(records)
    assert bq.query(f"select rows, source_sha256 from {bq.loaded_hours_table}") == [
        (len(records), cleaned.raw_sha256)
    ]


def test_bigquery_and_duckdb_hold_the_same_rows(bq_endpoint, clean_hour_in_bucket, tmp_path):
    lake, cleaned, records = clean_hour_in_bucket
    bq = warehouse(bq_endpoint)
    bq.replace_hour(HOUR, lake.uri(clean_path(HOUR)), cleaned.raw_sha256)
    duck, local_file = duckdb_beside(lake, tmp_path, "warehouse.duckdb")
    duck.replace_hour(HOUR, local_file, cleaned.raw_sha256)
    sql = (
        "select type, count(*), count(distinct actor_id), min(created_at), max(created_at) "
        "from {table} group by type order by type"
    )
    on_bigquery = bq.query(sql.format(table=bq.events_table))
    on_duckdb = duck.query(sql.format(table=duck.events_table))
    assert [row[:3] for row in on_bigquery] == [row[:3] for row in on_duckdb]
    assert [(r[3].replace(tzinfo=None), r[4].replace(tzinfo=None)) for r in on_bigquery] == [
        (r[3], r[4]) for r in on_duckdb
    ]
    assert dict((t, n) for t, n, *_ in on_bigquery) == dict(Counter(r["type"] for r in records))
    labels = bq.query(
        f"select count(*) from {bq.events_table} where array_length(issue_labels) > 0"
    )[0][0]
    assert (
        labels
        == duck.query(f"select count(*) from {duck.events_table} where len(issue_labels) > 0")[0][0]
    )


def test_events_partitioned_by_archive_hour_are_refused_with_the_rewrite_to_run(
    bq_endpoint, clean_hour_in_bucket
):
    """An events table of an older release would make every model read all of
    history; rewriting it is a full scan, so the operator runs it, once."""
    lake, cleaned, _ = clean_hour_in_bucket
    client = client_for(bq_endpoint)
    client.create_dataset("by_hour", exists_ok=True)
    table = bigquery.Table("test.by_hour.events", bigquery_schema())
    table.time_partitioning = bigquery.TimePartitioning(field="archive_hour")
    client.create_table(table)
    with pytest.raises(EventsTableLayoutError, match=r"PARTITION BY DATE\(created_at\)"):
        warehouse(bq_endpoint, "by_hour").replace_hour(
            HOUR, lake.uri(clean_path(HOUR)), cleaned.raw_sha256
        )


def test_a_new_events_table_is_partitioned_by_the_day_of_created_at(
    bq_endpoint, clean_hour_in_bucket
):
    lake, cleaned, _ = clean_hour_in_bucket
    warehouse(bq_endpoint).replace_hour(HOUR, lake.uri(clean_path(HOUR)), cleaned.raw_sha256)
    client = client_for(bq_endpoint)
    table = client.get_table("test.gharchive.events")
    assert (table.time_partitioning.type_, table.time_partitioning.field) == ("DAY", "created_at")
    assert table.clustering_fields == ["archive_hour", "type", "repo_name"]


def test_a_missing_dataset_names_the_variable_to_fix(bq_endpoint, clean_hour_in_bucket):
    lake, cleaned, _ = clean_hour_in_bucket
    with pytest.raises(WarehouseAccessError, match="GHARCHIVE_BQ_DATASET"):
        warehouse(bq_endpoint, dataset="no_such_dataset").replace_hour(
            HOUR, lake.uri(clean_path(HOUR)), cleaned.raw_sha256
        )


def test_an_older_events_table_gains_the_new_columns(bq_endpoint, clean_hour_in_bucket, tmp_path):
    """A table made before pr_created_at existed is widened, on both warehouses."""
    lake, cleaned, records = clean_hour_in_bucket
    client = client_for(bq_endpoint)
    client.create_dataset("older", exists_ok=True)
    older = bigquery.Table(
        "test.older.events", [f for f in bigquery_schema() if f.name != "pr_created_at"]
    )
    older.time_partitioning = bigquery.TimePartitioning(field="created_at")
    client.create_table(older)
    warehouse(bq_endpoint, "older").replace_hour(
        HOUR, lake.uri(clean_path(HOUR)), cleaned.raw_sha256
    )
    (row,) = warehouse(bq_endpoint, "older").query(
        "select count(*), countif(pr_created_at is not null) from older.events"
    )
    assert row[0] == len(records) and row[1] > 0

    duck, local_file = duckdb_beside(lake, tmp_path, "older.duckdb")
    with duck.connect() as connection:
        connection.execute("create schema gharchive")
        connection.execute(duckdb_table_ddl("gharchive").replace("pr_created_at TIMESTAMP,", ""))
    duck.replace_hour(HOUR, local_file, cleaned.raw_sha256)
    (row,) = duck.query("select count(*), count(pr_created_at) from gharchive.events")
    assert row[0] == len(records) and row[1] > 0


def test_the_ledger_row_is_written_in_the_swap_s_transaction(bq_endpoint, clean_hour_in_bucket):
    """A ledger that cannot take the row (a column of the wrong type) leaves
    the events untouched: rows and ledger commit together or not at all."""
    lake, cleaned, _ = clean_hour_in_bucket
    client = client_for(bq_endpoint)
    client.create_dataset("torn", exists_ok=True)
    broken = [
        bigquery.SchemaField("archive_hour", "TIMESTAMP"),
        bigquery.SchemaField("rows", "DATE"),
    ]
    ledger = bigquery.Table("test.torn.loaded_hours_log", broken)
    ledger.time_partitioning = bigquery.TimePartitioning(field="archive_hour")
    client.create_table(ledger)
    with pytest.raises(google_errors.GoogleAPICallError, match="DATE"):  # the ledger's INSERT
        warehouse(bq_endpoint, "torn").replace_hour(
            HOUR, lake.uri(clean_path(HOUR)), cleaned.raw_sha256
        )
    (count,) = warehouse(bq_endpoint, "torn").query(
        "select count(*) from torn.events where created_at >= timestamp '2011-02-12'"
    )[0]
    assert count == 0
    staging = [t.table_id for t in client.list_tables("torn") if t.table_id.startswith("_staging")]
    assert staging == [], "the staging table is removed when the swap fails"


def test_a_staging_table_expires_within_a_day():
    """Should the process be killed mid-load, its staging table goes by itself.
    (bqemulator drops a table's expiry: this is the table the pipeline creates.)"""
    table = staging_table("test.gharchive._staging_events_2015010123_0123abcd")
    assert timedelta(hours=23) < table.expires - datetime.now(UTC) <= timedelta(days=1)
    assert [field.name for field in table.schema] == [f.name for f in bigquery_schema()]


def test_serialization_conflicts_are_tried_again_then_explained(monkeypatch):
    """BigQuery's answer when two swaps write one day at once; anything else is raised."""
    monkeypatch.setattr(bigquery_warehouse, "CONFLICT_BACKOFF_SECONDS", 0.001)
    answers = iter([google_errors.BadRequest("Could not serialize access to table t"), "done"])

    def swap():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert retry_conflicts(swap, "hour 2015-01-01 23:00") == "done"

    def always_conflicting():
        raise google_errors.BadRequest("Transaction is aborted due to concurrent update")

    with pytest.raises(WarehouseConflictError, match=r"hour 2015-01-01 23:00.*3 times"):
        retry_conflicts(always_conflicting, "hour 2015-01-01 23:00", tries=3)
    with pytest.raises(google_errors.BadRequest, match="Syntax error"):
        retry_conflicts(
            lambda: (_ for _ in ()).throw(google_errors.BadRequest("Syntax error")), "x"
        )


def test_a_ledger_table_updated_in_place_is_refused_with_the_move(
    bq_endpoint, clean_hour_in_bucket
):
    """A ledger an older release made, a table every swap merged into: BigQuery
    cancels concurrent transactions that mutate one table. The error gives the
    one-off move to the append-only log; the view then takes its name."""
    lake, cleaned, _ = clean_hour_in_bucket
    client = client_for(bq_endpoint)
    client.create_dataset("old_ledger", exists_ok=True)
    client.create_table(bigquery.Table("test.old_ledger.loaded_hours", LOADED_HOURS_SCHEMA))
    with pytest.raises(EventsTableLayoutError, match="loaded_hours_log` PARTITION BY DATE"):
        warehouse(bq_endpoint, "old_ledger").replace_hour(
            HOUR, lake.uri(clean_path(HOUR)), cleaned.raw_sha256
        )


def test_a_new_hour_is_inserted_and_a_reloaded_one_merged(bq_endpoint, clean_hour_in_bucket):
    """What BigQuery bills: an hour the ledger lacks is an INSERT of the staged
    rows; only a re-load deletes, which bills the days it touches. Both leave
    the hour's rows once."""
    lake, cleaned, _ = clean_hour_in_bucket
    target = warehouse(bq_endpoint, "inserts")
    client_for(bq_endpoint).create_dataset("inserts", exists_ok=True)
    scripts = []
    original = BigQueryWarehouseResource._swap_script

    def recorded(self, *args, **kwargs):
        scripts.append(original(self, *args, **kwargs))
        return scripts[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(BigQueryWarehouseResource, "_swap_script", recorded)
        first = target.replace_hour(HOUR, lake.uri(clean_path(HOUR)), cleaned.raw_sha256)
        again = target.replace_hour(HOUR, lake.uri(clean_path(HOUR)), cleaned.raw_sha256)
    assert (first.replaced_rows, again.replaced_rows) == (0, first.rows)
    assert "INSERT INTO" in scripts[0] and "DELETE" not in scripts[0]
    assert "THEN DELETE" in scripts[1]
    (count,) = target.query(
        "select count(*) from inserts.events where created_at >= timestamp '2011-02-12'"
    )[0]
    assert count == first.rows


@pytest.fixture(scope="module")
def three_hours_in_bucket(clean_hour_in_bucket, generated_archive):
    """The three generated hours (across a midnight), cleaned into the GCS lake."""
    lake, *_ = clean_hour_in_bucket
    files = []
    for start in generated_archive["hours"]:
        hour = ArchiveHour.of(start.strftime("%Y-%m-%d-%H:00"))
        raw = generated_archive["dir"] / f"{start:%Y-%m-%d-%-H}.json.gz"
        result = clean_hour_into_lake(lake, hour, raw)
        files.append(HourFile(hour, lake.uri(clean_path(hour)), result.raw_sha256))
    return files


def rows_by_hour(target: BigQueryWarehouseResource, dataset: str) -> dict:
    return dict(
        target.query(
            f"select archive_hour, count(*) from {dataset}.events "
            "where created_at >= timestamp '2011-02-12' group by archive_hour"
        )
    )


def ledger_by_hour(target: BigQueryWarehouseResource, dataset: str) -> dict:
    return dict(target.query(f"select archive_hour, rows from {dataset}.loaded_hours"))


def test_a_runs_new_hours_go_in_together_by_load_and_copy(bq_endpoint, three_hours_in_bucket):
    """One load, one copy, one ledger INSERT: no statement mutates a table, so
    runs at once never cancel each other, and BigQuery bills no bytes for the
    rows. A second time, every hour is known: none is loaded together."""
    client_for(bq_endpoint).create_dataset("batch", exists_ok=True)
    target = warehouse(bq_endpoint, "batch")
    loaded = target.load_new_hours(three_hours_in_bucket)
    assert sorted(loaded) == sorted(f.hour.key for f in three_hours_in_bucket)
    held = rows_by_hour(target, "batch")
    assert {load.rows for load in loaded.values()} == set(held.values())
    assert ledger_by_hour(target, "batch") == held
    assert target.load_new_hours(three_hours_in_bucket) == {}
    jobs = [job.job_type for job in client_for(bq_endpoint).list_jobs(max_results=50)]
    assert "copy" in jobs


def test_rows_copied_without_their_ledger_rows_are_replaced_not_doubled(
    bq_endpoint, three_hours_in_bucket
):
    """A process killed between the copy and the ledger's INSERT: the next run
    finds the hours' rows, loads none together, and each hour's own load
    replaces them."""
    client = client_for(bq_endpoint)
    client.create_dataset("killed", exists_ok=True)
    target = warehouse(bq_endpoint, "killed")
    target.load_new_hours(three_hours_in_bucket)
    client.query("DELETE FROM `test.killed.loaded_hours_log` WHERE TRUE").result()
    assert target.load_new_hours(three_hours_in_bucket) == {}
    for file in three_hours_in_bucket:
        load = target.replace_hour(file.hour, file.uri, file.sha256)
        assert load.replaced_rows == load.rows > 0
    held = rows_by_hour(target, "killed")
    assert ledger_by_hour(target, "killed") == held


def test_two_runs_of_the_same_new_hours_leave_them_once(bq_endpoint, three_hours_in_bucket):
    """Both copy; each keeps only the hours whose rows are its own alone, and
    the others are replaced hour by hour, as a run's loop does."""
    client_for(bq_endpoint).create_dataset("twice", exists_ok=True)
    target = warehouse(bq_endpoint, "twice")
    results = []
    threads = [
        threading.Thread(
            target=lambda: results.append(target.load_new_hours(three_hours_in_bucket))
        )
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for result in results:  # each run loads by itself the hours it did not keep
        for file in three_hours_in_bucket:
            if file.hour.key not in result:
                target.replace_hour(file.hour, file.uri, file.sha256)
    client_for(bq_endpoint).create_dataset("once", exists_ok=True)
    alone = warehouse(bq_endpoint, "once")
    for file in three_hours_in_bucket:
        alone.replace_hour(file.hour, file.uri, file.sha256)
    held = rows_by_hour(target, "twice")
    assert held == rows_by_hour(alone, "once")
    assert ledger_by_hour(target, "twice") == held


def test_a_job_writing_more_partitions_than_bigquery_allows_is_refused(bq_endpoint):
    """BigQuery's 4,000 partitions modified by one job, kept by the proxy and
    scaled down to 3 here: a build of every day of a long history fails, one
    of a few days passes; a copy is counted too."""
    client = client_for(bq_endpoint)
    client.create_dataset("many_days", exists_ok=True)
    editor = ROLES["roles/bigquery.dataEditor"]
    grants = {"project": {"bigquery.jobs.create"}, "many_days": editor}
    with BigQueryIamProxy(bq_endpoint, grants, partitions_per_job=3) as proxy:
        through = client_for(proxy.host)

        def build(days: int) -> None:
            through.query(
                f"CREATE OR REPLACE TABLE many_days.daily_{days} PARTITION BY day AS "
                f"SELECT day, 1 AS n FROM UNNEST(GENERATE_DATE_ARRAY('2015-01-01', "
                f"DATE_ADD('2015-01-01', INTERVAL {days - 1} DAY))) AS day"
            ).result()

        build(3)
        with pytest.raises(google_errors.BadRequest, match="allowed 3, query produces at least 5"):
            build(5)
        through.create_table(bigquery.Table("test.many_days.flat", [
            bigquery.SchemaField("day", "DATE"), bigquery.SchemaField("n", "INT64")]))  # fmt: skip
        through.query(
            "INSERT INTO many_days.flat (day, n) SELECT day, 1 FROM UNNEST("
            "GENERATE_DATE_ARRAY('2015-01-01', '2015-01-06')) AS day"
        ).result()
        with pytest.raises(google_errors.BadRequest, match="query produces at least 6"):
            through.copy_table(
                "test.many_days.flat",
                "test.many_days.daily_3",
                job_config=bigquery.CopyJobConfig(write_disposition="WRITE_APPEND"),
            ).result()
    assert [b.split(",")[0] for b in proxy.broken] == ["Too many partitions produced by query"] * 2


def test_new_hours_swapped_at_once_are_never_aborted(bq_endpoint, three_hours_in_bucket):
    """Each hour by itself, all at once, through the proxy that keeps BigQuery's
    rules: an INSERT of the rows and one of the ledger row mutate nothing, so
    no transaction is aborted. (A ledger updated by MERGE, as before, made every
    swap at once abort the others: BigQuery aborts per table, not partition.)"""
    client_for(bq_endpoint).create_dataset("at_once", exists_ok=True)
    warehouse(bq_endpoint, "at_once").load_new_hours([])  # the tables, before the race
    editor = ROLES["roles/bigquery.dataEditor"]
    grants = {"project": {"bigquery.jobs.create"}, "at_once": editor,
              f"gs://{BUCKET}": {"storage.objects.get"}}  # fmt: skip
    with BigQueryIamProxy(bq_endpoint, grants) as proxy:
        target = warehouse(proxy.host, "at_once")
        start = threading.Barrier(len(three_hours_in_bucket))

        def swap(file: HourFile) -> None:
            start.wait()
            target.replace_hour(file.hour, file.uri, file.sha256)

        threads = [threading.Thread(target=swap, args=(f,)) for f in three_hours_in_bucket]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert proxy.broken == [] and proxy.refused == []
    held = rows_by_hour(warehouse(bq_endpoint, "at_once"), "at_once")
    assert len(held) == 3 and ledger_by_hour(warehouse(bq_endpoint, "at_once"), "at_once") == held
