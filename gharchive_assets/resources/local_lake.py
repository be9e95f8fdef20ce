"""The local target's lake: a directory tree (``GHARCHIVE_DATA_DIR/lake``)."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import pyarrow.parquet as pq

from gharchive_assets.clean.directory_lake import DirectoryLake
from gharchive_assets.resources.lake import LakeResource


class LocalLakeResource(LakeResource):
    """Files published whole by a rename from ``lake/.staging/``."""

    root: str

    @property
    def _lake(self) -> DirectoryLake:
        return DirectoryLake(self.root)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self.sweep_stale_staging(context, self._lake.staging_root)

    def size(self, rel_path: str) -> int | None:
        return self._lake.size(rel_path)

    def sha256(self, rel_path: str) -> str | None:
        return self._lake.sha256(rel_path)

    def publish(self, local_file: Path, rel_path: str) -> None:
        self._lake.publish(local_file, rel_path)

    def delete(self, rel_path: str) -> None:
        self._lake.delete(rel_path)

    @contextmanager
    def local_copy(self, rel_path: str) -> Iterator[Path]:
        with self._lake.local_copy(rel_path) as path:
            yield path

    @contextmanager
    def staging_dir(self) -> Iterator[Path]:
        with self._lake.staging_dir() as directory:
            yield directory

    def uri(self, rel_path: str) -> str:
        return self._lake.uri(rel_path)

    def parquet_footer(self, rel_path: str) -> pq.FileMetaData:
        return self._lake.parquet_footer(rel_path)
