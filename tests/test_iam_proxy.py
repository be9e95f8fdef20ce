"""The libraries' GCS calls as well as ours, against the grants terraform makes:
each identity talks to the GCS emulator through tests/iam_proxy.py, which
refuses what its roles on that bucket do not allow, as GCS would with 403.

- dagster-gcp's GCSComputeLogManager, as a run (the pipeline's identity) and as
  the webserver (the control plane's), with a real Dagster run writing its logs;
- the lake (raw and clean hours) as the pipeline;
- the warehouse without its dataset grant (the whole pipeline on BigQuery runs
  through both proxies in tests/test_gcp_pipeline.py).
"""

from __future__ import annotations

import os

import dagster as dg
import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from gharchive_assets.archive_hour import ArchiveHour
from gharchive_assets.warehouse.bigquery_warehouse import WarehouseAccessError
from tests.iam_proxy import (
    CONTROL,
    PIPELINE,
    BigQueryIamProxy,
    GcsIamProxy,
    holds,
    terraform_grants,
)

# Starts processes, servers or emulators: not in the fast lane.
pytestmark = pytest.mark.slow

LOGS, LAKE = "logs-bucket", "lake-bucket"
NAMES = {
    "${google_storage_bucket.lake.name}": LAKE,
    "${google_storage_bucket.compute_logs.name}": LOGS,
}


@pytest.fixture(scope="module")
def buckets(gcs_emulator):
    client = storage.Client(project="test", credentials=AnonymousCredentials())
    for name in (LOGS, LAKE):
        if client.lookup_bucket(name) is None:
            client.create_bucket(name)


@pytest.fixture
def as_identity(gcs_emulator, buckets, monkeypatch):
    """Enter a proxy for one identity: its clients reach GCS only through it."""

    def enter(identity: str, without: str | None = None) -> GcsIamProxy:
        grants = terraform_grants(NAMES, without)[identity]
        proxy = GcsIamProxy(gcs_emulator.host, holds(grants))
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", proxy.host)
        return proxy

    yield enter
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_emulator.host)


COMPUTE_LOGS = {
    "module": "dagster_gcp.gcs.compute_log_manager",
    "class": "GCSComputeLogManager",
    "config": {"bucket": LOGS, "prefix": "compute-logs", "upload_interval": 30},
}


@dg.op
def say_hello():
    print("hello from a step")


@dg.job
def hello():
    say_hello()


def test_a_run_writes_its_step_logs_and_the_webserver_reads_them(as_identity, tmp_path):
    with (
        as_identity(PIPELINE) as proxy,
        dg.instance_for_test(
            overrides={"compute_logs": COMPUTE_LOGS}, temp_dir=str(tmp_path)
        ) as instance,
    ):
        result = hello.execute_in_process(instance=instance)
        assert result.success
        run_id = result.run_id
    assert proxy.refused == []
    assert "storage.buckets.get on logs-bucket" in proxy.allowed
    assert "storage.objects.create on logs-bucket" in proxy.allowed

    with (
        as_identity(CONTROL) as proxy,
        dg.instance_for_test(
            overrides={"compute_logs": COMPUTE_LOGS}, temp_dir=str(tmp_path)
        ) as instance,
    ):
        manager = instance.compute_log_manager
        keys = [
            blob.name
            for blob in storage.Client(project="test", credentials=AnonymousCredentials())
            .bucket(LOGS)
            .list_blobs(prefix=f"compute-logs/storage/{run_id}")
        ]
        assert keys, "the run's step logs are in the bucket"
        stdout = next(k for k in keys if k.endswith(".out"))
        log_key = stdout.removeprefix("compute-logs/storage/").removesuffix(".out").split("/")
        data = manager.get_log_data(log_key)
    assert b"hello from a step" in (data.stdout or b"")
    assert proxy.refused == []
    assert "storage.buckets.get on logs-bucket" in proxy.allowed


def test_without_the_bucket_lookup_grant_a_run_fails_at_plan_start(as_identity, tmp_path):
    """The 403 the first production run met: the manager's bucket.exists()."""
    with (
        as_identity(PIPELINE, without="logs_bucket_lookup") as proxy,
        pytest.raises(Exception, match=r"403|storage\.buckets\.get"),
        dg.instance_for_test(
            overrides={"compute_logs": COMPUTE_LOGS}, temp_dir=str(tmp_path)
        ) as instance,
    ):
        hello.execute_in_process(instance=instance)
    assert any(r.startswith("storage.buckets.get on logs-bucket") for r in proxy.refused)


def test_the_lake_needs_only_the_pipelines_object_role(as_identity, tmp_path):
    from dagster_gcp import GCSResource

    from gharchive_assets.lake.gcs import GCSLakeResource

    def lake() -> GCSLakeResource:
        return GCSLakeResource(gcs=GCSResource(project="test"), bucket=LAKE)

    source = tmp_path / "hour.json.gz"
    source.write_bytes(os.urandom(1024))
    key = "raw/2015/01/01/2015-01-01-0.json.gz"
    with as_identity(PIPELINE) as proxy:
        lake().publish(source, key)
        lake().publish(source, key)  # a replacement needs delete as well
        assert lake().size(key) == 1024
        with lake().local_copy(key) as copy:
            assert copy.read_bytes() == source.read_bytes()
        lake().delete(key)
    assert proxy.refused == []
    assert "storage.objects.delete on lake-bucket" in proxy.allowed
    # The control plane has nothing on the lake.
    with as_identity(CONTROL) as proxy, pytest.raises(Exception, match=r"403|objectAdmin"):
        lake().size(key)
    assert proxy.refused


def test_without_its_dataset_grant_the_warehouse_says_what_to_grant(bq_emulator):
    """BigQuery's 403 reaches the operator as the grant to add, not a traceback."""
    from tests.bq_emulator import client_for
    from tests.test_bigquery_warehouse import warehouse

    client_for(bq_emulator.endpoint).create_dataset("iam_events", exists_ok=True)
    names = {"${google_bigquery_dataset.events.dataset_id}": "iam_events"}
    with (
        BigQueryIamProxy(
            bq_emulator.endpoint,
            holds(terraform_grants(names, without="pipeline_events")[PIPELINE]),
        ) as proxy,
        pytest.raises(WarehouseAccessError, match=r"roles/bigquery\.dataEditor"),
    ):
        warehouse(proxy.host, "iam_events").replace_hour(
            ArchiveHour.of("2015-01-01-00:00"), "gs://lake-bucket/clean.parquet", ""
        )
    assert proxy.refused == [
        "bigquery.datasets.get on iam_events (GET /bigquery/v2/projects/test/datasets/iam_events)"
    ]
