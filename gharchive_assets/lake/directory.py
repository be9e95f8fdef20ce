"""The lake as a directory tree, with files published whole or not at all.

Plain Python (no Dagster): the cleaner's command line writes into one, and the
local target's ``LocalLakeResource`` (``resource``) delegates to one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from stat import S_ISREG

import pyarrow.parquet as pq

from gharchive_assets.lake.store import sha256_of

STAGING_DIR = ".staging"


def sweep_stale_directories(
    base: Path, older_than_seconds: float, pattern: str = "*"
) -> list[tuple[Path, int]]:
    """Remove the directories under ``base`` that nothing has written to for
    ``older_than_seconds`` (left by runs that were killed mid-hour); returns
    each with the bytes it held."""
    swept = []
    now = time.time()
    for directory in Path(base).glob(pattern):
        if not directory.is_dir():
            continue
        try:
            entries = [directory, *directory.rglob("*")]
            stats = [entry.stat() for entry in entries]
        except FileNotFoundError:
            continue  # finished meanwhile
        if now - max(stat.st_mtime for stat in stats) < older_than_seconds:
            continue
        held = sum(entry.st_size for entry in stats if S_ISREG(entry.st_mode))
        shutil.rmtree(directory, ignore_errors=True)
        swept.append((directory, held))
    return swept


class DirectoryLake:
    """A :class:`~gharchive_assets.lake.store.Lake` under ``root``."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def path(self, rel_path: str) -> Path:
        return self.root / rel_path

    def size(self, rel_path: str) -> int | None:
        try:
            return self.path(rel_path).stat().st_size
        except FileNotFoundError:
            return None

    def sha256(self, rel_path: str) -> str | None:
        path = self.path(rel_path)
        return sha256_of(path) if path.exists() else None

    def publish(self, local_file: Path, rel_path: str) -> None:
        """Put ``local_file`` at ``rel_path`` atomically (a rename on one file system).

        A copy is made beside the target under a unique name, created with the
        umask's mode like any file the user writes (mkstemp's would be 0600).
        """
        target = self.path(rel_path)
        target.parent.mkdir(parents=True, exist_ok=True)
        if Path(local_file).resolve().is_relative_to(self.root.resolve()):
            os.replace(local_file, target)
            return
        partial = target.with_name(f".{target.name}.{uuid.uuid4().hex}.partial")
        try:
            descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            with open(descriptor, "wb") as out, open(local_file, "rb") as source:
                shutil.copyfileobj(source, out, 1 << 20)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)

    def delete(self, rel_path: str) -> None:
        self.path(rel_path).unlink(missing_ok=True)

    @contextmanager
    def local_copy(self, rel_path: str) -> Iterator[Path]:
        path = self.path(rel_path)
        if not path.exists():
            raise FileNotFoundError(f"{path} is not in the lake")
        yield path

    @property
    def staging_root(self) -> Path:
        return self.root / STAGING_DIR

    @contextmanager
    def staging_dir(self) -> Iterator[Path]:
        """A fresh directory under the root, so publishing is a rename."""
        base = self.staging_root
        base.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=base) as directory:
            yield Path(directory)

    def uri(self, rel_path: str) -> str:
        return str(self.path(rel_path).resolve())

    def parquet_footer(self, rel_path: str) -> pq.FileMetaData:
        return pq.read_metadata(self.path(rel_path))
