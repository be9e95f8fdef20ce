"""An exclusive lock on a file, held across processes, that says who holds it.

DuckDB lets one process open a database file for writing, and a reader cannot
open it while a writer has it. Every process of the local target that opens
the warehouse (the load, dbt, the report, the run summary; CLI runs and runs
launched by the daemon alike) takes this lock first, so they queue instead of
failing on DuckDB's own lock. The holder writes what it is doing into the
lock file, so a wait that runs out names it. The kernel releases a ``flock``
when its process dies, so a killed run never leaves the lock held.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

POLL_SECONDS = 0.2

# Re-entrant within a thread: a holder that opens the warehouse again (nested
# `with`) must not wait for itself.
_held = threading.local()


class LockTimeout(TimeoutError):
    """The lock was held by another process for longer than the wait allowed."""


@contextmanager
def exclusive(path: Path, purpose: str, wait_seconds: float) -> Iterator[None]:
    """Hold ``path``'s lock for the block, waiting up to ``wait_seconds`` for it."""
    key = str(Path(path).resolve())
    depth = getattr(_held, "depth", {})
    _held.depth = depth
    if depth.get(key):
        depth[key] += 1
        try:
            yield
        finally:
            depth[key] -= 1
        return
    Path(key).parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(key, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        started = time.monotonic()
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                waited = time.monotonic() - started
                if waited >= wait_seconds:
                    raise LockTimeout(
                        f"waited {waited:,.0f} s for {key}, held by {holder(key)}; "
                        "let that finish (or stop it), then run again"
                    ) from None
                time.sleep(POLL_SECONDS)
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, _description(purpose).encode(), 0)
        depth[key] = 1
        try:
            yield
        finally:
            depth[key] = 0
            os.ftruncate(descriptor, 0)
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)


def _description(purpose: str) -> str:
    return json.dumps(
        {
            "pid": os.getpid(),
            "purpose": purpose,
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
        }
    )


def holder(path: str) -> str:
    """Who holds the lock, as its holder described itself."""
    try:
        info = json.loads(Path(path).read_text() or "{}")
    except (OSError, ValueError):
        info = {}
    if not info:
        return "another process"
    return f"pid {info.get('pid')} ({info.get('purpose')}, since {info.get('since')})"
