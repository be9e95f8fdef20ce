"""The lake: a tree of files at the relative paths of the contract.

Every file is published whole or not at all: it is written to a staging
file first and then moved (locally) or uploaded (GCS) in one step.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

STAGING_DIR = ".staging"


def sha256_of(path: Path, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


class LakeResource(dg.ConfigurableResource):
    """What the assets need of a lake; one implementation per target."""

    def size(self, rel_path: str) -> int | None:
        """The file's size in bytes, or None when it is not in the lake."""
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


class LocalLakeResource(LakeResource):
    """The lake as a directory tree (``GHARCHIVE_DATA_DIR/lake``)."""

    root: str

    def _path(self, rel_path: str) -> Path:
        return Path(self.root) / rel_path

    def size(self, rel_path: str) -> int | None:
        try:
            return self._path(rel_path).stat().st_size
        except FileNotFoundError:
            return None

    def publish(self, local_file: Path, rel_path: str) -> None:
        target = self._path(rel_path)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Staging lives under the root, so this is a rename on one file system.
        if Path(local_file).parent.resolve().is_relative_to(Path(self.root).resolve()):
            os.replace(local_file, target)
            return
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as handle:
            partial = Path(handle.name)
        try:
            shutil.copyfile(local_file, partial)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)

    def delete(self, rel_path: str) -> None:
        self._path(rel_path).unlink(missing_ok=True)

    @contextmanager
    def local_copy(self, rel_path: str) -> Iterator[Path]:
        path = self._path(rel_path)
        if not path.exists():
            raise FileNotFoundError(f"{self.uri(rel_path)} is not in the lake")
        yield path

    @contextmanager
    def staging_dir(self) -> Iterator[Path]:
        base = Path(self.root) / STAGING_DIR
        base.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=base) as directory:
            yield Path(directory)

    def uri(self, rel_path: str) -> str:
        return str(self._path(rel_path).resolve())
