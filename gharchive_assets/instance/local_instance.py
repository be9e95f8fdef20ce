"""The local Dagster instance (DAGSTER_HOME), its storage created once before any run.

Two runs started together on a fresh DAGSTER_HOME (two `make run`s) would both
create its SQLite schema, and one fails ("UNIQUE constraint failed:
alembic_version"). `make setup` calls this first: under a lock, the first
caller creates every storage; the others find it ready.

python -m gharchive_assets.instance.local_instance [DAGSTER_HOME]

Without an argument (``make setup``), the instance is the settings' own
(``DAGSTER_HOME`` from the environment, ``.env`` or ``GHARCHIVE_ENV_FILE``,
else ``.dagster_home``), given deploy/dagster.local.yaml when it has no
dagster.yaml yet.
"""

import fcntl
import os
import re
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

READY = ".storage_ready"
LOCAL_CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "dagster.local.yaml"


def prepare(home: Path) -> None:
    if (home / READY).exists():
        return
    home.mkdir(parents=True, exist_ok=True)
    with open(home / ".storage.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (home / READY).exists():
            return
        # Constructing the instance creates and stamps its run, event and schedule storage.
        with instance_at(home) as instance:
            instance.get_runs(limit=1)
        (home / READY).touch()


@contextmanager
def instance_at(home: Path) -> Iterator:
    """The instance in ``home``, with DAGSTER_HOME naming it while it is open: the
    local config's event log (gharchive_assets/instance/event_log.py) lives under it."""
    from dagster import DagsterInstance

    before = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(home)
    try:
        with DagsterInstance.from_config(str(home)) as instance:
            yield instance
    finally:
        if before is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = before


# Classes an instance loads by name, where earlier releases kept them.
MOVED_MODULES = {
    "gharchive_assets.event_log": "gharchive_assets.instance.event_log",
    "gharchive_assets.run_launcher": "gharchive_assets.instance.run_launcher",
    "gharchive_assets.compute_logs": "gharchive_assets.instance.compute_logs",
}


def follow_moved_modules(config: Path) -> bool:
    """Point a dagster.yaml copied by an earlier release at the modules' new
    homes (the instance would not load otherwise); whether it changed."""
    text = config.read_text()
    moved = text
    for old, new in MOVED_MODULES.items():
        moved = re.sub(rf"(module:\s*){re.escape(old)}\s*$", rf"\g<1>{new}", moved, flags=re.M)
    if moved == text:
        return False
    config.write_text(moved)
    print(f"make: {config} names the instance's modules where this release keeps them")
    return True


def main(argv: list[str]) -> int:
    if argv:
        prepare(Path(argv[0]))
        return 0
    from gharchive_assets.core.local_env import SettingsFileError, apply_dotenv

    try:
        apply_dotenv()
    except SettingsFileError as error:
        print(f"make: {error}", file=sys.stderr)
        return 2
    home = Path(os.environ["DAGSTER_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        shutil.copyfile(LOCAL_CONFIG, home / "dagster.yaml")
    follow_moved_modules(home / "dagster.yaml")
    prepare(home)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
