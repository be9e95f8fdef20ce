"""Backfills launched as the UI launches them: GraphQL against `dagster dev` with its
daemon, the local instance's config (two runs at once) and the default day of hours
per run."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from gharchive_assets.settings import Settings
from tests import expected
from tests.archive_server import ArchiveServer
from tests.dagster_dev import CANCEL, DagsterDev, backfill_status, graphql, launch_backfill
from tests.loopback import free_port
from tests.pipeline import query
from tests.synthetic import ArchiveFaker, write_hour

# Starts processes, servers or emulators: not in the fast lane.
pytestmark = pytest.mark.slow

HOURS = [datetime(2015, 1, 3, h, tzinfo=UTC) for h in range(6)]
KEYS = [f"{hour:%Y-%m-%d-%H}:00" for hour in HOURS]
RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


@pytest.fixture(scope="module")
def backfill_archive(tmp_path_factory):
    directory = tmp_path_factory.mktemp("six_hours")
    faker = ArchiveFaker(seed=6)
    records = {hour: faker.hour(hour, 150, duplicates=5 if hour.hour else 0) for hour in HOURS}
    for hour, hour_records in records.items():
        write_hour(directory, hour, hour_records)
    with ArchiveServer(directory) as server:
        yield server, records


@pytest.fixture(scope="module")
def dagster_dev(backfill_archive, tmp_path_factory):
    server, _ = backfill_archive
    data_dir = tmp_path_factory.mktemp("data")
    env = {
        "GHARCHIVE_BASE_URL": server.url,
        "GHARCHIVE_DATA_DIR": str(data_dir),
        "GHARCHIVE_START": "2015-01-01-00:00",
    }
    dev = DagsterDev(tmp_path_factory.mktemp("dagster_home"), env, free_port())
    try:
        yield dev.port, Settings(data_dir=data_dir)
    finally:
        dev.stop()


def test_a_backfill_from_the_ui_loads_its_hours_then_builds_their_day(
    dagster_dev, backfill_archive
):
    port, settings = dagster_dev
    _, records = backfill_archive
    backfill_id = launch_backfill(port, KEYS)
    deadline = time.monotonic() + timedelta(minutes=8).total_seconds()
    while True:
        backfill = backfill_status(port, backfill_id)
        if backfill["status"] not in ("REQUESTED", "CANCELING", "FAILING"):
            break
        assert time.monotonic() < deadline, backfill
        time.sleep(3)
    assert backfill["status"] in ("COMPLETED", "COMPLETED_SUCCESS"), backfill
    # One run of the six hours, then one of the dbt models for their day (runs newest first).
    runs = [
        (run["status"], {t["key"]: t["value"] for t in run["tags"]}) for run in backfill["runs"]
    ]
    assert [status for status, _ in runs] == ["SUCCESS", "SUCCESS"]
    assert [(tags[RANGE_START], tags[RANGE_END]) for _, tags in runs[::-1]] == [
        (KEYS[0], KEYS[-1]),
        ("2015-01-03", "2015-01-03"),
    ]

    events = expected.deduplicated(records)
    counts = query(
        settings, "select archive_hour, count(*) from gharchive.events group by 1 order by 1"
    )
    assert [n for _, n in counts] == [len(records[hour]) for hour in HOURS]
    daily = query(
        settings, "select day, event_type, events, actors, repos from analytics.daily_event_counts"
    )
    assert {(d, t): (n, a, r) for d, t, n, a, r in daily} == expected.daily_event_counts(events)


def test_a_month_backfill_creates_its_runs_at_once_and_a_cancel_stops_them(dagster_dev):
    """A month of the whole graph (hours nobody serves: each run fails fast), as the
    UI launches it: its first run within a minute, a run per day of hours after
    it; cancelled midway, at most the run being created follows."""
    port, _ = dagster_dev
    month = [f"2015-02-{day:02d}-{hour:02d}:00" for day in range(1, 29) for hour in range(24)]
    launched = time.monotonic()
    backfill_id = launch_backfill(port, month)
    while not (runs := backfill_status(port, backfill_id)["runs"]):
        assert time.monotonic() - launched < 60, "no run a minute after the launch"
        time.sleep(0.5)
    while len(runs := backfill_status(port, backfill_id)["runs"]) < 8:
        assert time.monotonic() - launched < 180, f"{len(runs)} runs after 3 minutes"
        time.sleep(0.5)
    graphql(port, CANCEL, {"id": backfill_id})
    at_cancel = len(backfill_status(port, backfill_id)["runs"])
    time.sleep(15)
    backfill = backfill_status(port, backfill_id)
    created = len(backfill["runs"])
    assert at_cancel <= created <= at_cancel + 1, (at_cancel, created)
    assert created < 28, "the cancel stopped the backfill before its last day"
    # Each run is a day of hours (the default GHARCHIVE_HOURS_PER_RUN, 24).
    for run in backfill["runs"]:
        tags = {t["key"]: t["value"] for t in run["tags"]}
        assert tags[RANGE_START].endswith("-00:00") and tags[RANGE_END].endswith("-23:00")
        assert tags[RANGE_START][:10] == tags[RANGE_END][:10]
    assert backfill["status"] in ("CANCELING", "CANCELED"), backfill["status"]
