"""The lake as a directory tree, with files published whole or not at all.

Plain Python (no Dagster), so the cleaner's command line starts fast; the
Dagster resource ``LocalLakeResource`` delegates here.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

STAGING_DIR = ".staging"


def sha256_of(path: Path, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


class LocalLake:
    def __init__(self, root: str | Path):
        self.root = Path(root)

    def path(self, rel_path: str) -> Path:
        return self.root / rel_path

    def size(self, rel_path: str) -> int | None:
        try:
            return self.path(rel_path).stat().st_size
        except FileNotFoundError:
            return None

    def publish(self, local_file: Path, rel_path: str) -> None:
        """Put ``local_file`` at ``rel_path`` atomically (a rename on one file system)."""
        target = self.path(rel_path)
        target.parent.mkdir(parents=True, exist_ok=True)
        if Path(local_file).resolve().is_relative_to(self.root.resolve()):
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
        self.path(rel_path).unlink(missing_ok=True)

    @contextmanager
    def local_copy(self, rel_path: str) -> Iterator[Path]:
        path = self.path(rel_path)
        if not path.exists():
            raise FileNotFoundError(f"{path} is not in the lake")
        yield path

    @contextmanager
    def staging_dir(self) -> Iterator[Path]:
        """A fresh directory under the root, so publishing is a rename."""
        base = self.root / STAGING_DIR
        base.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=base) as directory:
            yield Path(directory)

    def uri(self, rel_path: str) -> str:
        return str(self.path(rel_path).resolve())
