"""The BigQuery warehouse (gcp target) against bqemulator and the GCS emulator."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from dagster_gcp import GCSResource
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery, storage

from gharchive_assets.clean import clean_hour_into_lake
from gharchive_assets.contract.lake_paths import clean_path, parse_key
from gharchive_assets.resources.bigquery_warehouse import (
    BigQueryWarehouseResource,
    GharchiveBigQueryResource,
    WarehouseAccessError,
    bigquery_schema,
)
from gharchive_assets.resources.duckdb_warehouse import DuckDBWarehouseResource, duckdb_table_ddl
from gharchive_assets.resources.gcs_lake import GCSLakeResource

KEY = "2015-01-01-23:00"
BUCKET = "warehouse-lake"


@pytest.fixture(scope="module")
def bq_endpoint(bq_emulator):
    bigquery.Client(
        project="test",
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=bq_emulator.endpoint),
    ).create_dataset("gharchive", exists_ok=True)
    return bq_emulator.endpoint


@pytest.fixture(scope="module")
def clean_hour_in_bucket(gcs_emulator, generated_archive):
    """The generated 23:00 hour, cleaned into the GCS lake."""
    storage.Client(project="test", credentials=AnonymousCredentials()).create_bucket(BUCKET)
    lake = GCSLakeResource(gcs=GCSResource(project="test"), bucket=BUCKET)
    raw_file = generated_archive["dir"] / "2015-01-01-23.json.gz"
    result = clean_hour_into_lake(lake, KEY, raw_file)
    records = next(r for hour, r in generated_archive["hours"].items() if hour.hour == 23)
    return lake, result, records


def warehouse(endpoint: str, dataset: str = "gharchive") -> BigQueryWarehouseResource:
    return BigQueryWarehouseResource(
        bigquery=GharchiveBigQueryResource(project="test", api_endpoint=endpoint),
        dataset=dataset,
    )


def test_an_hour_is_swapped_in_once_however_often_it_is_loaded(bq_endpoint, clean_hour_in_bucket):
    lake, cleaned, records = clean_hour_in_bucket
    bq = warehouse(bq_endpoint)
    uri = lake.uri(clean_path(KEY))
    first = bq.replace_hour(parse_key(KEY), uri, cleaned.raw_sha256)
    assert (first.rows, first.replaced_rows) == (len(records), 0)
    second = bq.replace_hour(parse_key(KEY), uri, cleaned.raw_sha256)
    assert (second.rows, second.replaced_rows) == (len(records), len(records))

    # Two runs of the hour at the same time.
    threads = [
        threading.Thread(target=bq.replace_hour, args=(parse_key(KEY), uri, cleaned.raw_sha256))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    ((count, distinct),) = bq.query(
        f"select count(*), count(distinct id) from {bq.events_table} where archive_hour = ?",
        [parse_key(KEY)],
    )
    assert count == distinct == len(records)
    assert bq.query(f"select rows, source_sha256 from {bq.loaded_hours_table}") == [
        (len(records), cleaned.raw_sha256)
    ]


def test_bigquery_and_duckdb_hold_the_same_rows(bq_endpoint, clean_hour_in_bucket, tmp_path):
    lake, cleaned, records = clean_hour_in_bucket
    bq = warehouse(bq_endpoint)
    bq.replace_hour(parse_key(KEY), lake.uri(clean_path(KEY)), cleaned.raw_sha256)
    duck = DuckDBWarehouseResource(path=str(tmp_path / "warehouse.duckdb"))
    with lake.local_copy(clean_path(KEY)) as local_file:
        duck.replace_hour(parse_key(KEY), str(local_file), cleaned.raw_sha256)
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


def test_a_missing_dataset_names_the_variable_to_fix(bq_endpoint, clean_hour_in_bucket):
    lake, cleaned, _ = clean_hour_in_bucket
    with pytest.raises(WarehouseAccessError, match="GHARCHIVE_BQ_DATASET"):
        warehouse(bq_endpoint, dataset="no_such_dataset").replace_hour(
            parse_key(KEY), lake.uri(clean_path(KEY)), cleaned.raw_sha256
        )


def test_an_older_events_table_gains_the_new_columns(bq_endpoint, clean_hour_in_bucket, tmp_path):
    """A table made before pr_created_at existed is widened, on both warehouses."""
    lake, cleaned, records = clean_hour_in_bucket
    client = bigquery.Client(
        project="test",
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=bq_endpoint),
    )
    client.create_dataset("older", exists_ok=True)
    old_schema = [f for f in bigquery_schema() if f.name != "pr_created_at"]
    client.create_table(bigquery.Table("test.older.events", schema=old_schema))
    warehouse(bq_endpoint, "older").replace_hour(
        parse_key(KEY), lake.uri(clean_path(KEY)), cleaned.raw_sha256
    )
    (row,) = warehouse(bq_endpoint, "older").query(
        "select count(*), countif(pr_created_at is not null) from older.events"
    )
    assert row[0] == len(records) and row[1] > 0

    duck = DuckDBWarehouseResource(path=str(tmp_path / "older.duckdb"))
    with duck.connect() as connection:
        connection.execute("create schema gharchive")
        connection.execute(duckdb_table_ddl("gharchive").replace("pr_created_at TIMESTAMP,", ""))
    with lake.local_copy(clean_path(KEY)) as local_file:
        duck.replace_hour(parse_key(KEY), str(local_file), cleaned.raw_sha256)
    (row,) = duck.query("select count(*), count(pr_created_at) from gharchive.events")
    assert row[0] == len(records) and row[1] > 0
