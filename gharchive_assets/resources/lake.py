"""The lake as a Dagster resource: a tree of files at the contract's relative paths.

Every file is published whole or not at all: written to a staging file first,
then moved (locally) or uploaded (GCS) in one step.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import pyarrow.parquet as pq

from gharchive_assets.local_lake import LocalLake, sha256_of


class LakeResource(dg.ConfigurableResource):
    """What the assets need of a lake; one implementation per target."""

    def size(self, rel_path: str) -> int | None:
        """The file's size in bytes, or None when it is not in the lake."""
        raise NotImplementedError

    def sha256(self, rel_path: str) -> str | None:
        """The file's sha256 (hex), or None when it is not in the lake."""
        raise NotImplementedError

    def publish(self, local_file: Path, rel_path: str) -> None:
        """Put ``local_file`` at ``rel_path``, replacing what was there, atomically."""
        raise NotImplementedError

    def delete(self, rel_path: str) -> None:
        raise NotImplementedError

    @contextmanager
    def local_copy(self, rel_path: str) -> Iterator[Path]:
        """A local file with the content at ``rel_path``, for reading."""
        raise NotImplementedError
        yield  # pragma: no cover

    @contextmanager
    def staging_dir(self) -> Iterator[Path]:
        """A fresh local directory for files on their way into the lake."""
        raise NotImplementedError
        yield  # pragma: no cover

    def uri(self, rel_path: str) -> str:
        """Where the file is, in the form the warehouse of the same target reads."""
        raise NotImplementedError

    def parquet_metadata(self, rel_path: str) -> dict[str, str]:
        """The key-value metadata in a parquet file's footer."""
        with self.local_copy(rel_path) as path:
            return footer_metadata(pq.read_metadata(path))


def footer_metadata(metadata: pq.FileMetaData) -> dict[str, str]:
    return {key.decode(): value.decode() for key, value in (metadata.metadata or {}).items()}


class LocalLakeResource(LakeResource):
    """The lake as a directory tree (``GHARCHIVE_DATA_DIR/lake``)."""

    root: str

    @property
    def _lake(self) -> LocalLake:
        return LocalLake(self.root)

    def size(self, rel_path: str) -> int | None:
        return self._lake.size(rel_path)

    def sha256(self, rel_path: str) -> str | None:
        path = self._lake.path(rel_path)
        return sha256_of(path) if path.exists() else None

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
