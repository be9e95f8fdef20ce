"""The libraries' GCS calls as well as ours, against the grants terraform makes:
each identity talks to the GCS emulator through tests/iam_proxy.py, which
refuses what its roles on that bucket do not allow, as GCS would with 403.

- dagster-gcp's GCSComputeLogManager (as deploy/dagster.gcp.yaml makes it), as a
  run (the pipeline's identity) and as the webserver (the control plane's), with
  a real Dagster run writing its logs, and the UI's download link signed by IAM
  as the webserver's account under Workload Identity;
- the lake (raw and clean hours) as the pipeline;
- the warehouse without its dataset grant (the whole pipeline on BigQuery runs
  through both proxies in tests/test_gcp_pipeline.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from gharchive_assets.contract.archive_hour import ArchiveHour
from gharchive_assets.warehouse.bigquery_warehouse import WarehouseAccessError
from tests.iam_credentials import MetadataServer, SignBlob
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
CONTROL_EMAIL = "gharchive-dagster@test.iam.gserviceaccount.com"
NAMES = {
    "${google_storage_bucket.lake.name}": LAKE,
    "${google_storage_bucket.compute_logs.name}": LOGS,
    "${google_service_account.dagster.name}": CONTROL_EMAIL,
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
    "module": "gharchive_assets.instance.compute_logs",
    "class": "IamSignedGCSComputeLogManager",
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


@pytest.mark.parametrize("without", [None, "dagster_signs_log_urls"])
def test_the_ui_download_link_is_signed_by_iam_as_the_webserver(as_identity, tmp_path, without):
    """Workload Identity gives a token and an email, no key: the link is signed
    by IAM's signBlob as the control plane's own account, which terraform lets
    it do. Without that grant there is no link (dagster-gcp's own manager
    would give one to the webserver's disk, where no run's logs are)."""
    with dg.instance_for_test(
        overrides={"compute_logs": COMPUTE_LOGS}, temp_dir=str(tmp_path)
    ) as i:
        run_id = hello.execute_in_process(instance=i).run_id
    blob = next(
        b.name
        for b in storage.Client(project="test", credentials=AnonymousCredentials())
        .bucket(LOGS)
        .list_blobs(prefix=f"compute-logs/storage/{run_id}")
        if b.name.endswith(".out")
    )
    token = "token-of-the-webserver"
    may_sign = {
        identity: {resource for resource, roles in grants.items()
                   if "roles/iam.serviceAccountTokenCreator" in roles}
        for identity, grants in terraform_grants(NAMES, without).items()
    }  # fmt: skip
    with (
        as_identity(CONTROL) as proxy,
        MetadataServer(CONTROL_EMAIL, token) as metadata,
        SignBlob(tmp_path, {token: CONTROL}, may_sign) as iam,
    ):
        env = {
            **{k: v for k, v in os.environ.items() if k != "GOOGLE_APPLICATION_CREDENTIALS"},
            "STORAGE_EMULATOR_HOST": proxy.host,
            "GCE_METADATA_HOST": metadata.host,
            "GCE_METADATA_IP": metadata.host,
            "HTTPS_PROXY": iam.proxy,
            "REQUESTS_CA_BUNDLE": str(iam.ca_file),
            "CLOUDSDK_CONFIG": str(tmp_path / "no-gcloud"),
            "COMPUTE_LOGS": json.dumps(COMPUTE_LOGS),
            "TEMP_DIR": str(tmp_path),
            "LOG_KEY": blob.removeprefix("compute-logs/storage/").removesuffix(".out"),
        }
        completed = subprocess.run(
            [sys.executable, "-c", "from tests.iam_credentials import print_download_link as p; p()"],
            env=env, capture_output=True, text=True, timeout=120, check=False,
            cwd=Path(__file__).resolve().parents[1],
        )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-3000:]
    link = json.loads(completed.stdout.strip().splitlines()[-1])["link"]
    (call,) = iam.calls
    assert (call["caller"], call["account"]) == (CONTROL, CONTROL_EMAIL)
    if without:
        assert link is None
        assert "iam.serviceAccounts.signBlob denied" in completed.stderr
        return
    query = dict(part.split("=", 1) for part in link.split("?", 1)[1].split("&"))
    assert query["X-Goog-Credential"].startswith(CONTROL_EMAIL.replace("@", "%40"))
    assert query["X-Goog-Signature"] == call["signature"]


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
