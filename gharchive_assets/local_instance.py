"""The local Dagster instance (DAGSTER_HOME), its storage created once before any run.

Two runs started together on a fresh DAGSTER_HOME (two `make run`s) would both
create its SQLite schema, and one fails ("UNIQUE constraint failed:
alembic_version"). `make setup` calls this first: under a lock, the first
caller creates every storage; the others find it ready.

python -m gharchive_assets.local_instance DAGSTER_HOME
"""

import fcntl
import sys
from pathlib import Path

READY = ".storage_ready"


def prepare(home: Path) -> None:
    if (home / READY).exists():
        return
    home.mkdir(parents=True, exist_ok=True)
    with open(home / ".storage.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (home / READY).exists():
            return
        from dagster import DagsterInstance

        # Constructing the instance creates and stamps its run, event and schedule storage.
        with DagsterInstance.from_config(str(home)) as instance:
            instance.get_runs(limit=1)
        (home / READY).touch()


if __name__ == "__main__":
    prepare(Path(sys.argv[1]))
