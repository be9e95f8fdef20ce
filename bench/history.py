"""One more hour, at growing history: does its cost stay flat? And what a warehouse
of years weighs, and how long a day's backfill takes.

Builds (once, under bench/out/history/) a file:// mirror of generated
modern-shaped hours, scaled down to ``--events`` per hour (2024 hours hold about
200,000; the default 5,000 keeps 700 hours within minutes). Each hour is the
same generated template with its ids and times moved to that hour, so every
hour is distinct and lands on its own UTC day. Then, with the dagster CLI as
``make run`` runs it, on a fresh data dir and instance:

- loads history up to each of ``--history`` hours (default 6, 100, 700), and
  after each times one more hour, always the same hour of its day: the whole
  CLI run (what ``make run`` costs, less the summary) and its steps (raw, clean,
  events, dbt), from the run's step stats;
- prints the warehouse's bytes per event against the clean parquet's;
- with ``--backfill``, times a 24-hour backfill end to end for hours of each
  size given (default 2024's, 200,000 events; one generated hour served under
  24 names: the same bytes to download, clean and load as 24 real hours):
  the hours in one run, then the day's models in one, as ``make run`` does.

    python bench/history.py [--events 5000] [--history 6 100 700] [--backfill [EVENTS ...]]
                            [--out DIR] [--build-only]

The figures of another checkout (a baseline) come from running its own copy of
this file with the same ``--out``, so both read the same generated mirror.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from gharchive_assets.cli.make_run import HOURS, MODELS  # noqa: E402

OUT = HERE / "out" / "history"  # --out
FIRST_HOUR = datetime(2024, 1, 1, tzinfo=UTC)
KEY_FORMAT = "%Y-%m-%d-%H:%M"
STEPS = {
    "raw_archive_hour": "raw",
    "clean_events_hour": "clean",
    "gharchive__events": "events",
    "analytics_models": "dbt",
}


def key(index: int) -> str:
    return (FIRST_HOUR + timedelta(hours=index)).strftime(KEY_FORMAT)


def file_name(index: int) -> str:
    hour = FIRST_HOUR + timedelta(hours=index)
    return f"{hour:%Y-%m-%d}-{hour.hour}.json.gz"


def build_mirror(events: int, hours: int) -> Path:
    """Hours 0..hours-1 of generated events (cached per size)."""
    from tests.synthetic import ArchiveFaker

    mirror = OUT / f"mirror-{events}"
    mirror.mkdir(parents=True, exist_ok=True)
    missing = [i for i in range(hours) if not (mirror / file_name(i)).exists()]
    if not missing:
        return mirror
    faker = ArchiveFaker(seed=2024, rich=True, actors=20_000, repos=10_000)
    template = faker.hour(FIRST_HOUR, events)
    for index in missing:
        shift = timedelta(hours=index)
        lines = []
        for number, record in enumerate(template):
            moment = datetime.strptime(record["created_at"], "%Y-%m-%dT%H:%M:%SZ") + shift
            moved = record | {
                "id": str(30_000_000_000 + index * 1_000_000 + number),
                "created_at": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
            lines.append(orjson.dumps(moved))
        partial = mirror / (file_name(index) + ".partial")
        partial.write_bytes(gzip.compress(b"\n".join(lines) + b"\n", compresslevel=6))
        partial.rename(mirror / file_name(index))
    return mirror


class Pipeline:
    """A fresh data dir and Dagster instance, driven by the dagster CLI."""

    def __init__(self, root: Path, mirror: Path):
        shutil.rmtree(root, ignore_errors=True)
        self.root = root
        self.home = root / "dagster_home"
        self.home.mkdir(parents=True)
        (self.home / "dagster.yaml").write_text((REPO / "deploy/dagster.local.yaml").read_text())
        # As `make setup` does: the storage exists before runs start together.
        subprocess.run(
            [sys.executable, "-m", "gharchive_assets.instance.local_instance", str(self.home)],
            check=True,
        )
        self.env = {
            **os.environ,
            "DAGSTER_HOME": str(self.home),
            "GHARCHIVE_BASE_URL": mirror.as_uri(),
            "GHARCHIVE_DATA_DIR": str(root / "data"),
            "GHARCHIVE_START": key(0),
            "GHARCHIVE_HOURS_PER_RUN": "all",
            "PYTHONWARNINGS": "ignore",
        }

    def materialize(self, first: int, last: int) -> dict[str, float]:
        """Hours first..last (inclusive) in one run, then their days' models in one,
        as ``make run`` runs them: wall seconds and per-step seconds."""
        started = time.monotonic()
        steps: dict[str, float] = {}
        days = f"{key(first)[:10]}...{key(last)[:10]}"
        for selection, partitions in ((HOURS, f"{key(first)}...{key(last)}"), (MODELS, days)):
            command = [
                str(Path(sys.executable).with_name("dagster")), "asset", "materialize",
                "-m", "gharchive_assets.definitions", "--select", selection,
                "--partition-range", partitions,
            ]  # fmt: skip
            completed = subprocess.run(
                command, env=self.env, cwd=REPO, capture_output=True, text=True, check=False
            )
            if completed.returncode != 0:
                raise RuntimeError(f"run {partitions} failed:\n{completed.stderr[-3000:]}")
            steps.update(self.step_seconds())
        return {"run": time.monotonic() - started, **steps}

    def step_seconds(self) -> dict[str, float]:

        from gharchive_assets.instance.local_instance import instance_at

        with instance_at(self.home) as instance:
            run = instance.get_runs(limit=1)[0]
            return {
                STEPS.get(stat.step_key, stat.step_key): stat.end_time - stat.start_time
                for stat in instance.get_run_step_stats(run.run_id)
                if stat.end_time and stat.start_time
            }

    def sizes(self) -> dict[str, float]:
        import duckdb

        data = self.root / "data"
        with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as connection:
            events = connection.execute("select count(*) from gharchive.events").fetchall()[0][0]
        parquet = sum(p.stat().st_size for p in (data / "lake/clean").rglob("*.parquet"))
        warehouse = (data / "warehouse.duckdb").stat().st_size
        return {
            "events": events,
            "warehouse_bytes_per_event": warehouse / events,
            "parquet_bytes_per_event": parquet / events,
        }


def one_more_hour_at(pipeline: Pipeline, histories: list[int]) -> list[dict]:
    """After history[i] hours are loaded, time one more hour (hour of day 6)."""
    rows, loaded = [], 0
    for history in histories:
        measured = history + (6 - history) % 24  # the same hour of its day each time
        if measured > loaded:
            pipeline.materialize(loaded, measured - 1)
        figures = pipeline.materialize(measured, measured)
        rows.append({"history_hours": measured, **figures})
        print(f"  one more hour at {measured} hours of history: {format_steps(figures)}")
        loaded = measured + 1
    return rows


def format_steps(figures: dict[str, float]) -> str:
    return ", ".join(f"{name} {seconds:.1f} s" for name, seconds in figures.items())


def mirror_of_one_hour(full_size_hour: Path, events: int) -> Path:
    """24 hours of one size: the same generated hour served under 24 names."""
    mirror = OUT / f"mirror-{events}-a-day"
    mirror.mkdir(parents=True, exist_ok=True)
    for index in range(24):
        target = mirror / file_name(index)
        if not target.exists():
            os.link(full_size_hour, target)
    return mirror


def backfill_day(events: int) -> dict[str, float]:
    """A 24-hour backfill of hours of ``events`` each, as make run runs it."""
    full = HERE / "out" / f"hour-{events}.json.gz"
    if not full.exists():
        subprocess.run(
            [sys.executable, str(HERE / "clean_hour.py"), "--build", str(events), str(full)],
            check=True,
        )
    pipeline = Pipeline(OUT / f"backfill-{events}", mirror_of_one_hour(full, events))
    figures = pipeline.materialize(0, 23)
    per_hour = ", ".join(f"{name} {seconds / 24:.2f} s" for name, seconds in figures.items())
    print(f"  24-hour backfill of {events:,}-event hours: {format_steps(figures)}")
    print(f"    per hour: {per_hour}")
    return figures


def one_more_hour(events: int, histories: list[int], build_only: bool) -> dict | None:
    largest = max(histories) + (6 - max(histories)) % 24 + 1
    started = time.monotonic()
    mirror = build_mirror(events, largest)
    print(f"mirror: {largest} hours of {events:,} events ({time.monotonic() - started:.0f} s)")
    if build_only:
        return None
    pipeline = Pipeline(OUT / f"run-{events}", mirror)
    rows = one_more_hour_at(pipeline, histories)
    sizes = pipeline.sizes()
    print(
        f"  warehouse {sizes['warehouse_bytes_per_event']:,.0f} B/event against the clean "
        f"parquet's {sizes['parquet_bytes_per_event']:,.0f} B/event "
        f"({sizes['warehouse_bytes_per_event'] / sizes['parquet_bytes_per_event']:.2f}x), "
        f"{sizes['events']:,} events"
    )
    first, last = rows[0]["run"], rows[-1]["run"]
    print(f"  one more hour: {last / first:.2f}x its cost at {rows[0]['history_hours']} hours")
    return {"events_per_hour": events, "one_more_hour": rows, "sizes": sizes}


def main() -> None:
    global OUT
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5_000, help="events per generated hour")
    parser.add_argument(
        "--history", type=int, nargs="*", default=[6, 100, 700], help="none: skip that part"
    )
    parser.add_argument(
        "--backfill",
        type=int,
        nargs="*",
        metavar="EVENTS",
        help="also a 24-hour backfill of hours of each size (default 200000, 2024's)",
    )
    parser.add_argument("--out", type=Path, default=OUT, help="where mirrors and runs go")
    parser.add_argument("--build-only", action="store_true", help="only build the mirror")
    args = parser.parse_args()
    OUT = args.out
    histories = sorted(args.history)
    result: dict = {}
    if histories:
        result = one_more_hour(args.events, histories, args.build_only)
        if result is None:
            return
    if args.backfill is not None:
        hour_sizes = args.backfill or [200_000]
        result["backfill_24_hours"] = {events: backfill_day(events) for events in hour_sizes}
    (OUT / f"result-{args.events}.json").write_text(json.dumps(result, indent=1, default=str))


if __name__ == "__main__":
    main()
