"""An exclusive lock on a file, held across processes, that says who holds it.

DuckDB lets one process open a database file for writing, and a reader cannot
open it while a writer has it. Every process of the local target that opens
the warehouse (the load, dbt, the report, the run summary; CLI runs and runs
launched by the daemon alike) takes this lock first, so they queue instead of
failing on DuckDB's own lock. The lock is filelock's (a ``flock``, which the
kernel releases when its process dies, so a killed run never leaves it held);
the holder writes what it is doing into the lock file, so a wait that runs
out names it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock, Timeout

POLL_SECONDS = 0.2


class LockTimeout(TimeoutError):
    """The lock was held by another process for longer than the wait allowed."""


@contextmanager
def exclusive(path: Path, purpose: str, wait_seconds: float) -> Iterator[None]:
    """Hold ``path``'s lock for the block, waiting up to ``wait_seconds`` for it.

    Re-entrant within a thread (one lock object per file, counting its holds):
    a holder that opens the warehouse again must not wait for itself."""
    key = Path(path).resolve()
    key.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(key, is_singleton=True, mode=0o666)
    try:
        lock.acquire(timeout=wait_seconds, poll_interval=POLL_SECONDS)
    except Timeout:
        raise LockTimeout(
            f"waited {wait_seconds:,.0f} s for {key}, held by {holder(key)}; "
            "let that finish (or stop it), then run again"
        ) from None
    outermost = lock.lock_counter == 1
    try:
        if outermost:
            key.write_text(_description(purpose))
        yield
    finally:
        if outermost:
            key.write_text("")
        lock.release()


def _description(purpose: str) -> str:
    return json.dumps(
        {
            "pid": os.getpid(),
            "purpose": purpose,
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
        }
    )


def holder(path: Path | str) -> str:
    """Who holds the lock, as its holder described itself."""
    try:
        info = json.loads(Path(path).read_text() or "{}")
    except (OSError, ValueError):
        info = {}
    if not info:
        return "another process"
    return f"pid {info.get('pid')} ({info.get('purpose')}, since {info.get('since')})"
