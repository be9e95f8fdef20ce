"""The GCS lake (gcp target) against gcp-storage-emulator on loopback."""

from __future__ import annotations

import hashlib
import os

import dagster as dg
import pyarrow.parquet as pq
import pytest
from dagster_gcp import GCSResource
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from gharchive_assets.core.settings import Settings
from gharchive_assets.defs.lake import lake_defs
from gharchive_assets.lake.gcs import GCSLakeResource, LakeAccessError
from gharchive_assets.source.resource import ArchiveSourceResource

# Starts processes, servers or emulators: not in the fast lane.
pytestmark = pytest.mark.slow

KEY = "2015-01-01-22:00"
RAW = "raw/2015/01/01/2015-01-01-22.json.gz"
CLEAN = "clean/events/date=2015-01-01/hour=22/events.parquet"


@pytest.fixture
def bucket(gcs_emulator, request) -> str:
    name = f"lake-{request.node.name.lower().replace('_', '-')[:40]}"
    storage.Client(project="test", credentials=AnonymousCredentials()).create_bucket(name)
    return name


def lake_for(bucket: str, chunk_size_bytes: int = 8 << 20) -> GCSLakeResource:
    return GCSLakeResource(
        gcs=GCSResource(project="test"), bucket=bucket, chunk_size_bytes=chunk_size_bytes
    )


def test_publish_read_and_delete(bucket, tmp_path):
    lake = lake_for(bucket, chunk_size_bytes=256 << 10)
    data = os.urandom(3 << 20)  # larger than a chunk: a resumable upload
    source = tmp_path / "file.bin"
    source.write_bytes(data)
    assert lake.size("raw/x.bin") is None and lake.sha256("raw/x.bin") is None
    lake.publish(source, "raw/x.bin")
    assert lake.size("raw/x.bin") == len(data)
    assert lake.sha256("raw/x.bin") == hashlib.sha256(data).hexdigest()
    with lake.local_copy("raw/x.bin") as copy:
        assert copy.read_bytes() == data
    assert not copy.exists(), "local copies are temporary"
    source.write_bytes(b"replaced")
    lake.publish(source, "raw/x.bin")
    assert lake.size("raw/x.bin") == len(b"replaced")
    lake.delete("raw/x.bin")
    assert lake.size("raw/x.bin") is None
    assert lake.uri("raw/x.bin") == f"gs://{bucket}/raw/x.bin"


def test_a_missing_bucket_names_the_variable_to_fix(gcs_emulator, tmp_path):
    lake = lake_for("no-such-bucket")
    with pytest.raises(LakeAccessError, match="GHARCHIVE_GCS_BUCKET"):
        lake.size("raw/x.bin")


def test_raw_and_clean_hours_land_in_the_bucket(
    bucket, archive_server, generated_archive, tmp_path
):
    raw_asset, clean_asset = lake_defs(Settings(target="gcp")).assets
    resources = {
        "source": ArchiveSourceResource(base_url=archive_server.url),
        "lake": lake_for(bucket),
    }

    def downloads() -> int:
        return archive_server.requests.count(("GET", "2015-01-01-22.json.gz"))

    before = downloads()
    with dg.instance_for_test() as instance:
        for _ in range(2):
            result = dg.materialize(
                [raw_asset, clean_asset], resources=resources, partition_key=KEY, instance=instance
            )
            assert result.success
    client = storage.Client(project="test", credentials=AnonymousCredentials())
    served = (generated_archive["dir"] / "2015-01-01-22.json.gz").read_bytes()
    assert client.bucket(bucket).blob(RAW).download_as_bytes() == served
    assert downloads() - before == 1, "the second run reuses the raw object in the bucket"
    clean_file = tmp_path / "events.parquet"
    client.bucket(bucket).blob(CLEAN).download_to_filename(str(clean_file))
    hour_records = next(
        records for hour, records in generated_archive["hours"].items() if hour.hour == 22
    )
    assert pq.read_metadata(clean_file).num_rows == len(hour_records)
    assert pq.read_metadata(clean_file).metadata[b"raw_sha256"].decode() == (
        hashlib.sha256(served).hexdigest()
    )


def test_parquet_footer_metadata_is_read_from_the_bucket(bucket, tmp_path):
    import pyarrow as pa

    table = pa.table({"payload": [os.urandom(512).hex() for _ in range(20_000)]})
    path = tmp_path / "events.parquet"
    with pq.ParquetWriter(path, table.schema, compression="none") as writer:
        writer.write_table(table)
        writer.add_key_value_metadata({"raw_sha256": "abc123"})
    assert path.stat().st_size > 4 * (256 << 10), "the footer is not in the first read"
    lake = lake_for(bucket)
    lake.publish(path, "clean/x/events.parquet")
    assert lake.parquet_metadata("clean/x/events.parquet")["raw_sha256"] == "abc123"
