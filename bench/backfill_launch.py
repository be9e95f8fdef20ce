"""How fast a year's backfill of the whole graph starts, launched as the UI
launches it: GraphQL `launchPartitionBackfill` of every hour of a year for every
asset but the report, on a real `dagster dev` (webserver and daemon) over a
fresh local instance, sources on loopback.

Nobody serves the year's files (the loopback archive answers 404), so each run
fails at its first hour after it starts: what is measured is the daemon
creating runs, with runs starting and failing beside it as they would. Once
every run of the hours exists (one per GHARCHIVE_HOURS_PER_RUN hours; the
models' runs follow the hours they read, and none follow here), the backfill
is cancelled and the runs created after the cancel are counted.

    python bench/backfill_launch.py [--year 2015] [--settings unset,24,all]
                                    [--postgres [dagster]]
                                    [--sqlite batched|dagster] [--planned per-partition]

With ``--postgres`` (or ``--postgres dagster``) the instance keeps its runs,
events and schedules in a throwaway PostgreSQL cluster (Debian's postgresql,
started on loopback as its ``postgres`` user) with Dagster's own storage
classes, as the Helm chart renders them on GKE; the rest of the local
instance is unchanged. ``--sqlite dagster`` runs the SQLite
instance with Dagster's own event log instead of the batched one.

Every process runs with ``DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS=1``,
as `make dev` and the Helm values set it (one planned event per asset and run);
``--planned per-partition`` measures without it (an event per asset and hour).

Its last line is ``year backfill: first run N s, all runs M s``, the worse of
the settings measured (by default GHARCHIVE_HOURS_PER_RUN unset, then 24).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.archive_server import ArchiveServer  # noqa: E402
from tests.dagster_dev import CANCEL, DagsterDev, backfill_status, graphql, launch_backfill  # noqa: E402
from tests.loopback import free_port  # noqa: E402
from tests.postgres import EVENT_LOGS, postgres_cluster, postgres_config  # noqa: E402

TIMEOUT = timedelta(minutes=30)


def year_keys(year: int) -> list[str]:
    hour, end = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    keys = []
    while hour < end:
        keys.append(hour.strftime("%Y-%m-%d-%H:%M"))
        hour += timedelta(hours=1)
    return keys


def sqlite_config(event_log: str) -> str | None:
    """The local instance's dagster.yaml, with Dagster's own SQLite event log if asked."""
    if event_log == "batched":
        return None
    config = yaml.safe_load((REPO / "deploy" / "dagster.local.yaml").read_text())
    del config["event_log_storage"]
    return yaml.safe_dump(config, sort_keys=False)


def measure(
    setting: str,
    keys: list[str],
    archive_url: str,
    postgres: str | None,
    sqlite: str = "batched",
    per_partition: bool = False,
) -> tuple[float, float, int, int]:
    """(first run s, all runs s, runs, runs created after the cancel) for one setting."""
    per_run = 24 if setting == "unset" else (len(keys) if setting == "all" else int(setting))
    expected = math.ceil(len(keys) / per_run)
    env = {"GHARCHIVE_BASE_URL": archive_url, "GHARCHIVE_START": "2015-01-01-00:00"}
    if setting != "unset":
        env["GHARCHIVE_HOURS_PER_RUN"] = setting
    if per_partition:
        env["DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS"] = ""
    with contextlib.ExitStack() as stack:
        scratch = stack.enter_context(tempfile.TemporaryDirectory(prefix="backfill-launch-"))
        config = sqlite_config(sqlite)
        if postgres:
            config = postgres_config(stack.enter_context(postgres_cluster()), postgres)
        env["GHARCHIVE_DATA_DIR"] = f"{scratch}/data"
        dev = DagsterDev(Path(scratch) / "home", env, free_port(), config)
        try:
            launched = time.monotonic()
            backfill_id = launch_backfill(dev.port, keys)
            print(f"  launched in {time.monotonic() - launched:.1f} s", flush=True)
            first, shown = None, -1
            while True:
                runs = len(backfill_status(dev.port, backfill_id)["runs"])
                elapsed = time.monotonic() - launched
                if runs and first is None:
                    first = elapsed
                if runs // 50 != shown // 50 or runs >= expected:
                    print(f"  {elapsed:6.1f} s  {runs:4} of {expected} runs", flush=True)
                    shown = runs
                if runs >= expected or elapsed > TIMEOUT.total_seconds():
                    break
                time.sleep(1)
            every = elapsed
            graphql(dev.port, CANCEL, {"id": backfill_id})
            time.sleep(20)
            after = len(backfill_status(dev.port, backfill_id)["runs"]) - runs
        finally:
            dev.stop()
    return first or float("inf"), every, runs, after


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--year", type=int, default=2015)
    parser.add_argument("--settings", default="unset,24", help="GHARCHIVE_HOURS_PER_RUN values")
    parser.add_argument(
        "--postgres",
        nargs="?",
        const="dagster",
        choices=sorted(EVENT_LOGS),
        help="the instance's storage in Postgres, with this event log",
    )
    parser.add_argument(
        "--sqlite",
        default="batched",
        choices=["batched", "dagster"],
        help="the local instance's event log: gharchive_assets/instance/event_log.py's, or Dagster's",
    )
    parser.add_argument(
        "--planned",
        default="per-asset",
        choices=["per-asset", "per-partition"],
        help="planned events: one per asset and run (the switch set), or one per hour",
    )
    args = parser.parse_args()
    keys = year_keys(args.year)
    worst_first = worst_all = 0.0
    storage = (
        f"Postgres ({args.postgres} event log)"
        if args.postgres
        else f"SQLite ({args.sqlite} event log)"
    ) + f", planned events {args.planned}"
    with tempfile.TemporaryDirectory() as empty, ArchiveServer(Path(empty)) as server:
        for setting in args.settings.split(","):
            print(
                f"GHARCHIVE_HOURS_PER_RUN={setting}: {len(keys):,} hours of {args.year}, "
                f"{storage} instance"
            )
            first, every, runs, after = measure(
                setting,
                keys,
                server.url,
                args.postgres,
                args.sqlite,
                args.planned == "per-partition",
            )
            print(
                f"  first run {first:.1f} s, all {runs} runs {every:.1f} s, "
                f"{after} runs created in the 20 s after the cancel",
                flush=True,
            )
            worst_first, worst_all = max(worst_first, first), max(worst_all, every)
    print(f"year backfill: first run {worst_first:.1f} s, all runs {worst_all:.1f} s")


if __name__ == "__main__":
    main()
