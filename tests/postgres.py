"""A throwaway PostgreSQL cluster on loopback (Debian's postgresql), for the
instance Dagster keeps in Postgres on GKE."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import yaml

from tests.loopback import free_port

POSTGRES_BIN = Path("/usr/lib/postgresql")
REPO = Path(__file__).resolve().parents[1]
# The event logs an instance on Postgres may name: Dagster's own, as the chart
# renders it on GKE.
EVENT_LOGS = {"dagster": ("dagster_postgres.event_log", "PostgresEventLogStorage")}


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's bin directory, if any."""
    versions = sorted(POSTGRES_BIN.glob("*/bin/initdb"))
    return versions[-1].parent if versions else None


@contextlib.contextmanager
def postgres_cluster() -> Iterator[str]:
    """A fresh cluster trusting local connections, on a free loopback port; its
    SQLAlchemy URL. As root, it runs as Debian's ``postgres`` user."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        raise RuntimeError("no PostgreSQL here: apt-get install postgresql")
    data = Path(tempfile.mkdtemp(prefix="postgres-"))
    as_owner: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(data, "postgres")
        as_owner = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    database = str(data / "db")
    subprocess.run(
        [*as_owner, str(bin_dir / "initdb"), "-D", database, "-A", "trust", "-U", "postgres"],
        check=True, capture_output=True,
    )  # fmt: skip
    options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c max_connections=200"
    subprocess.run(
        [*as_owner, str(bin_dir / "pg_ctl"), "-D", database, "-o", options,
         "-l", str(data / "log"), "-w", "start"],
        check=True, capture_output=True,
    )  # fmt: skip
    try:
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*as_owner, str(bin_dir / "pg_ctl"), "-D", database, "-m", "fast", "stop"],
            check=False, capture_output=True,
        )  # fmt: skip
        shutil.rmtree(data, ignore_errors=True)


def postgres_config(url: str, event_log: str, repo: Path = REPO) -> str:
    """The local instance's dagster.yaml (``repo``'s) with its storage in Postgres."""
    config = yaml.safe_load((repo / "deploy" / "dagster.local.yaml").read_text())
    module, name = EVENT_LOGS[event_log]
    for key, module_name, class_name in (
        ("run_storage", "dagster_postgres.run_storage", "PostgresRunStorage"),
        ("event_log_storage", module, name),
        ("schedule_storage", "dagster_postgres.schedule_storage", "PostgresScheduleStorage"),
    ):
        config[key] = {"module": module_name, "class": class_name, "config": {"postgres_url": url}}
    return yaml.safe_dump(config, sort_keys=False)
