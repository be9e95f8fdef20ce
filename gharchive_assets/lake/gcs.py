"""The lake as a GCS bucket (the gcp target), at the same relative paths.

Objects appear whole or not at all: GCS makes an upload visible only once it
completes (large files go up as resumable uploads), and each upload carries a
generation precondition, so two runs racing on one object cannot silently
overwrite each other. Every object records its sha256 in its metadata, so a
raw hour already in the bucket is recognised without downloading it.
"""

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import pyarrow.parquet as pq
from dagster_gcp import GCSResource
from google.api_core import exceptions as google_errors

from gharchive_assets.lake.resource import LakeResource
from gharchive_assets.lake.store import sha256_of

RESUMABLE_CHUNK_BYTES = 8 << 20
FOOTER_READ_BYTES = 256 << 10
STAGING_PREFIX = "gharchive-"
_BUCKETS_SEEN: set[str] = set()  # buckets this process has found to exist


class LakeAccessError(RuntimeError):
    """The bucket is missing or the pipeline's identity may not use it."""


class GCSLakeResource(LakeResource):
    """The lake in ``gs://GHARCHIVE_GCS_BUCKET/``; credentials from ADC only."""

    gcs: dg.ResourceDependency[GCSResource]
    bucket: str
    chunk_size_bytes: int = RESUMABLE_CHUNK_BYTES

    def _bucket(self):
        """The bucket, with no API call of its own: the lake needs only the
        object permissions terraform grants (roles/storage.objectAdmin), never
        storage.buckets.get. Object calls on a missing bucket look like missing
        objects, so each process first lists one object (storage.objects.list),
        which fails on a missing bucket with what to fix."""
        bucket = self.gcs.get_client().bucket(self.bucket)
        if self.bucket not in _BUCKETS_SEEN:
            try:
                next(iter(bucket.list_blobs(max_results=1)), None)
            except google_errors.NotFound as error:
                raise LakeAccessError(
                    f"GCS bucket {self.bucket!r} does not exist (or is not visible): set "
                    "GHARCHIVE_GCS_BUCKET to the bucket terraform created "
                    f"(`terraform output gharchive_gcs_bucket`). ({error})"
                ) from error
            _BUCKETS_SEEN.add(self.bucket)
        return bucket

    @contextmanager
    def _explained(self, rel_path: str) -> Iterator[None]:
        """Turn the client's 403 into an error that says what to fix."""
        try:
            yield
        except google_errors.Forbidden as error:
            raise LakeAccessError(
                f"the pipeline's identity may not use gs://{self.bucket}/{rel_path}: grant it "
                "roles/storage.objectAdmin on the bucket (terraform/ does) and check "
                f"Application Default Credentials. ({error})"
            ) from error

    def size(self, rel_path: str) -> int | None:
        with self._explained(rel_path):
            blob = self._bucket().get_blob(rel_path)
        return None if blob is None else blob.size

    def sha256(self, rel_path: str) -> str | None:
        with self._explained(rel_path):
            blob = self._bucket().get_blob(rel_path)
        if blob is None:
            return None
        recorded = (blob.metadata or {}).get("sha256")
        if recorded:
            return recorded
        with self.local_copy(rel_path) as path:
            return sha256_of(path)

    def publish(self, local_file: Path, rel_path: str) -> None:
        with self._explained(rel_path):
            bucket = self._bucket()
            current = bucket.get_blob(rel_path)
            blob = bucket.blob(rel_path, chunk_size=self.chunk_size_bytes)
            blob.metadata = {"sha256": sha256_of(local_file)}
            # 0 means "must not exist yet"; otherwise "must still be the version we saw".
            blob.upload_from_filename(
                str(local_file), if_generation_match=current.generation if current else 0
            )

    def delete(self, rel_path: str) -> None:
        with self._explained(rel_path):
            blob = self._bucket().get_blob(rel_path)
            if blob is not None:
                blob.delete(if_generation_match=blob.generation)

    @contextmanager
    def local_copy(self, rel_path: str) -> Iterator[Path]:
        with self.staging_dir() as directory:
            path = directory / Path(rel_path).name
            with self._explained(rel_path):
                blob = self._bucket().get_blob(rel_path)
                if blob is None:
                    raise FileNotFoundError(f"{self.uri(rel_path)} is not in the lake")
                blob.download_to_filename(str(path))
            yield path

    @contextmanager
    def staging_dir(self) -> Iterator[Path]:
        with tempfile.TemporaryDirectory(prefix=STAGING_PREFIX) as directory:
            yield Path(directory)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self.sweep_stale_staging(context, Path(tempfile.gettempdir()), f"{STAGING_PREFIX}*")

    def uri(self, rel_path: str) -> str:
        return f"gs://{self.bucket}/{rel_path}"

    def parquet_footer(self, rel_path: str) -> pq.FileMetaData:
        """Read through a seekable reader, so only the footer's bytes are fetched."""
        with self._explained(rel_path):
            blob = self._bucket().blob(rel_path)
            with blob.open("rb", chunk_size=FOOTER_READ_BYTES) as reader:
                return pq.read_metadata(reader)
