"""Backfills launched as the UI launches them: GraphQL against `dagster dev` with its
daemon and sensors, the local instance's config (two runs at once), the usual
backfill (the group archive_hours' "Materialize all") and the models following
the hours (models_follow_hours_sensor)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest

from gharchive_assets.core.partitions import HOURS_GROUP
from gharchive_assets.core.settings import Settings
from gharchive_assets.defs.models_follow import MODEL_RUN_PRIORITY, MODELS_JOB
from gharchive_assets.instance.local_instance import instance_at
from tests import expected
from tests.archive_server import ArchiveServer
from tests.dagster_dev import (
    CANCEL,
    DagsterDev,
    asset_groups,
    backfill_status,
    graphql,
    launch_asset_backfill,
)
from tests.loopback import free_port
from tests.pipeline import query
from tests.synthetic import ArchiveFaker, write_hour

# Starts processes, servers or emulators: not in the fast lane.
pytestmark = pytest.mark.slow

DAYS = ["2015-01-03", "2015-01-04", "2015-01-05"]
HOURS = [datetime(2015, 1, 3, tzinfo=UTC) + timedelta(hours=h) for h in range(24 * len(DAYS))]
KEYS = [f"{hour:%Y-%m-%d-%H}:00" for hour in HOURS]
# Three runs of hours a day: the queue holds runs of later days while a day's
# models are due, as a long backfill's does.
HOURS_PER_RUN = 8
RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"
MARTS = dg.AssetKey(["analytics", "daily_event_counts"])
UNFINISHED = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]


@pytest.fixture(scope="module")
def backfill_archive(tmp_path_factory):
    directory = tmp_path_factory.mktemp("backfill_days")
    faker = ArchiveFaker(seed=6)
    records = {hour: faker.hour(hour, 40, duplicates=2 if hour.hour else 0) for hour in HOURS}
    for hour, hour_records in records.items():
        write_hour(directory, hour, hour_records)
    with ArchiveServer(directory) as server:
        yield server, records


@pytest.fixture(scope="module")
def dagster_dev(backfill_archive, tmp_path_factory):
    server, _ = backfill_archive
    data_dir = tmp_path_factory.mktemp("data")
    home = tmp_path_factory.mktemp("dagster_home")
    env = {
        "GHARCHIVE_BASE_URL": server.url,
        "GHARCHIVE_DATA_DIR": str(data_dir),
        "GHARCHIVE_START": "2015-01-01-00:00",
        "GHARCHIVE_HOURS_PER_RUN": str(HOURS_PER_RUN),
    }
    dev = DagsterDev(home, env, free_port())
    try:
        yield dev.port, home, Settings(data_dir=data_dir)
    finally:
        dev.stop()


def wait_for(condition, what: str, minutes: float):
    """Poll ``condition`` until it gives something true; a deadline that only stops a hang."""
    deadline = time.monotonic() + minutes * 60
    while not (found := condition()):
        assert time.monotonic() < deadline, f"no {what} after {minutes} minutes"
        time.sleep(2)
    return found


def test_the_usual_backfill_is_one_group_of_the_three_hourly_assets(dagster_dev):
    port, _, _ = dagster_dev
    paths = sorted(key["path"] for key in asset_groups(port)[HOURS_GROUP])
    assert paths == [["clean_events_hour"], ["gharchive", "events"], ["raw_archive_hour"]]


def test_each_days_marts_are_built_while_the_backfill_loads_later_days(
    dagster_dev, backfill_archive
):
    port, home, settings = dagster_dev
    _, records = backfill_archive
    backfill_id = launch_asset_backfill(port, KEYS, asset_groups(port)[HOURS_GROUP])

    def finished():
        """The backfill done and every day's marts built (read from the instance:
        the warehouse is DuckDB's, which a reader must not hold while runs write)."""
        status = backfill_status(port, backfill_id)["status"]
        with instance_at(home) as instance:
            built = {
                r.partition_key for r in instance.fetch_materializations(MARTS, limit=1000).records
            }
            unfinished = instance.get_runs_count(dg.RunsFilter(statuses=UNFINISHED))
        done = status not in ("REQUESTED", "CANCELING", "FAILING")
        return done and built >= set(DAYS) and unfinished == 0

    wait_for(finished, "every day's marts", minutes=10)
    backfill = backfill_status(port, backfill_id)
    assert backfill["status"] in ("COMPLETED", "COMPLETED_SUCCESS"), backfill
    with instance_at(home) as instance:
        hour_runs = instance.get_run_records(dg.RunsFilter(tags={"dagster/backfill": backfill_id}))
        model_runs = instance.get_run_records(dg.RunsFilter(job_name=MODELS_JOB))
        loaded = {
            r.partition_key: r.timestamp
            for r in instance.fetch_materializations(
                dg.AssetKey(["gharchive", "events"]), limit=1000
            ).records
        }
    assert len(hour_runs) == len(KEYS) // HOURS_PER_RUN
    assert {r.dagster_run.status for r in hour_runs + model_runs} == {dg.DagsterRunStatus.SUCCESS}
    # The models ran at the head of the queue, each day after all its hours ...
    assert {r.dagster_run.tags["dagster/priority"] for r in model_runs} == {str(MODEL_RUN_PRIORITY)}
    for run in model_runs:
        first, last = run.dagster_run.tags[RANGE_START], run.dagster_run.tags[RANGE_END]
        days_hours = [t for key, t in loaded.items() if first <= key[:10] <= last]
        assert run.start_time > max(days_hours), f"the models of {first}..{last} ran early"
    # ... and the first day's marts came while hours of the last day were still to load.
    first_build = min(r.start_time for r in model_runs)
    assert first_build < max(loaded.values())
    # The marts hold every day exactly.
    events = expected.deduplicated(records)
    daily = query(
        settings, "select day, event_type, events, actors, repos from analytics.daily_event_counts"
    )
    assert {(d, t): (n, a, r) for d, t, n, a, r in daily} == expected.daily_event_counts(events)


def test_a_cancel_empties_the_queue_and_the_backfill_ends_canceled(dagster_dev):
    """A month of hours nobody serves (each run fails fast), as the UI launches
    it; cancelled once runs exist: the backfill stops before its end, its queued
    runs are cancelled and it reaches CANCELED. Dagster's daemon may write a
    backfill back over a cancel that lands between its read and its write
    (dagster-io/dagster#7094); the cancel is then asked again."""
    port, home, _ = dagster_dev
    month = [f"2015-02-{day:02d}-{hour:02d}:00" for day in range(1, 29) for hour in range(24)]
    backfill_id = launch_asset_backfill(port, month, asset_groups(port)[HOURS_GROUP])
    wait_for(lambda: len(backfill_status(port, backfill_id)["runs"]) >= 8, "8 runs", minutes=3)
    graphql(port, CANCEL, {"id": backfill_id})
    at_cancel = len(backfill_status(port, backfill_id)["runs"])
    asked_again: list[int] = []

    def canceled():
        status = backfill_status(port, backfill_id)
        if status["status"] == "REQUESTED":  # the daemon wrote over the cancel: asked again
            asked_again.append(len(status["runs"]))
            graphql(port, CANCEL, {"id": backfill_id})
        return status["status"] == "CANCELED"

    wait_for(canceled, "CANCELED", minutes=10)
    backfill = backfill_status(port, backfill_id)
    last_asked = asked_again[-1] if asked_again else at_cancel
    assert len(backfill["runs"]) <= last_asked + 1, "no run created after the cancel took"
    assert len(backfill["runs"]) < len(month) // HOURS_PER_RUN, "the cancel came before the end"
    with instance_at(home) as instance:
        queued = instance.get_runs_count(
            dg.RunsFilter(
                statuses=[dg.DagsterRunStatus.QUEUED], tags={"dagster/backfill": backfill_id}
            )
        )
    assert queued == 0
    for run in backfill["runs"]:  # runs of hours, HOURS_PER_RUN each
        tags = {t["key"]: t["value"] for t in run["tags"]}
        start, end = tags[RANGE_START], tags[RANGE_END]
        assert (
            datetime.strptime(end, "%Y-%m-%d-%H:%M") - datetime.strptime(start, "%Y-%m-%d-%H:%M")
        ) == timedelta(hours=HOURS_PER_RUN - 1)
