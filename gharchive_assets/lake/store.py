"""The lake as the assets and the cleaner use it, whatever stores it.

Two stores: a directory tree (``directory``: the local target and the
cleaner's command line) and a GCS bucket (``gcs``: the gcp target), at the
same relative paths (``paths``). Every file appears whole or not at all.
"""

from __future__ import annotations

import hashlib
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol, runtime_checkable

import pyarrow.parquet as pq


@runtime_checkable
class Lake(Protocol):
    def size(self, rel_path: str) -> int | None:
        """The file's size in bytes, or None when it is not in the lake."""
        ...

    def sha256(self, rel_path: str) -> str | None:
        """The file's sha256 (hex), or None when it is not in the lake."""
        ...

    def publish(self, local_file: Path, rel_path: str) -> None:
        """Put ``local_file`` at ``rel_path``, replacing what was there, atomically."""
        ...

    def delete(self, rel_path: str) -> None:
        """Remove the file; nothing happens when it is not there."""
        ...

    def local_copy(self, rel_path: str) -> AbstractContextManager[Path]:
        """A local file with the content at ``rel_path``, for reading."""
        ...

    def staging_dir(self) -> AbstractContextManager[Path]:
        """A fresh local directory for files on their way into the lake."""
        ...

    def uri(self, rel_path: str) -> str:
        """Where the file is, in the form the warehouse of the same target reads."""
        ...

    def parquet_footer(self, rel_path: str) -> pq.FileMetaData:
        """A parquet file's footer (rows, key-value metadata), read without the data."""
        ...


def sha256_of(path: Path, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def footer_metadata(metadata: pq.FileMetaData) -> dict[str, str]:
    """A parquet footer's key-value metadata as text."""
    return {key.decode(): value.decode() for key, value in (metadata.metadata or {}).items()}
