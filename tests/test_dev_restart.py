"""`make dev` killed outright in the middle of a run, then started again: the
instance, the UI's partition status and the warehouse agree on what loaded."""

import contextlib
import time
from datetime import UTC, datetime, timedelta

import dagster as dg
import psutil
import pytest
import yaml

from gharchive_assets.core.partitions import HOURS_GROUP
from gharchive_assets.core.settings import Settings
from gharchive_assets.instance.local_instance import instance_at
from tests.archive_server import ArchiveServer
from tests.dagster_dev import REPO, DagsterDev, asset_groups, graphql, launch_asset_backfill
from tests.loopback import free_port
from tests.pipeline import query
from tests.synthetic import ArchiveFaker, write_hour

# Starts processes and servers: not in the fast lane.
pytestmark = pytest.mark.slow

HOURS = [datetime(2015, 1, 5, tzinfo=UTC) + timedelta(hours=h) for h in range(24)]
KEYS = [f"{hour:%Y-%m-%d-%H}:00" for hour in HOURS]
EVENTS = dg.AssetKey(["gharchive", "events"])
PARTITION_STATUS = """
query Status($key: AssetKeyInput!) {
  assetNodeOrError(assetKey: $key) {
    ... on AssetNode {
      assetPartitionStatuses {
        ... on TimePartitionStatuses { ranges { startKey endKey status } }
      }
    }
  }
}"""


def kill_all(dev: DagsterDev) -> None:
    """SIGKILL to `make dev` and everything it started: no process gets to clean up."""
    root = psutil.Process(dev.process.pid)
    for process in [*root.children(recursive=True), root]:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    dev.process.wait()
    dev.log.close()


def materialised_in_the_ui(port: int) -> set[str]:
    """The hours the UI shows materialised on gharchive/events' Partitions tab."""
    answer = graphql(port, PARTITION_STATUS, {"key": {"path": EVENTS.path}})
    ranges = answer["assetNodeOrError"]["assetPartitionStatuses"]["ranges"]
    shown = set()
    for span in ranges:
        if span["status"] == "MATERIALIZED":
            shown |= {key for key in KEYS if span["startKey"] <= key <= span["endKey"]}
    return shown


def test_make_dev_killed_mid_run_and_started_again_agrees_with_the_warehouse(tmp_path):
    faker = ArchiveFaker(seed=9)
    for hour in HOURS:
        write_hour(tmp_path / "archive", hour, faker.hour(hour, 2_000))
    home, data = tmp_path / "home", tmp_path / "data"
    # The local instance, its run monitoring asking every 5 s rather than 30.
    config = yaml.safe_load((REPO / "deploy" / "dagster.local.yaml").read_text())
    config["run_monitoring"]["poll_interval_seconds"] = 5
    config = yaml.safe_dump(config)
    with ArchiveServer(tmp_path / "archive") as server:
        env = {"GHARCHIVE_BASE_URL": server.url, "GHARCHIVE_DATA_DIR": str(data)}
        dev = DagsterDev(home, env, free_port(), config)
        launch_asset_backfill(dev.port, KEYS, asset_groups(dev.port)[HOURS_GROUP])
        deadline = time.monotonic() + 600
        with instance_at(home) as instance:
            # Killed once some hours are in the warehouse and others are not yet.
            while len(loaded := instance.get_materialized_partitions(EVENTS)) < 3:
                assert time.monotonic() < deadline, "no hour loaded in 10 minutes"
                time.sleep(0.2)
            kill_all(dev)
            killed = instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
        assert 3 <= len(loaded) < len(KEYS), "killed between the first hours and the last"
        assert killed, "a run was going when make dev was killed"

        again = DagsterDev(home, env, free_port(), config)
        try:
            with instance_at(home) as instance:
                # Run monitoring finds the killed run's process gone and fails it.
                while instance.get_runs_count(
                    dg.RunsFilter(
                        statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.QUEUED]
                    )
                ):
                    assert time.monotonic() < deadline + 300, "the killed run is still STARTED"
                    time.sleep(2)
                statuses = {r.run_id: r.status for r in instance.get_runs()}
                materialised = instance.get_materialized_partitions(EVENTS)
            assert {statuses[r.run_id] for r in killed} == {dg.DagsterRunStatus.FAILURE}
            shown = materialised_in_the_ui(again.port)
        finally:
            again.stop()
    in_warehouse = {
        f"{hour:%Y-%m-%d-%H}:00"
        for (hour,) in query(
            Settings(data_dir=data), "select archive_hour from gharchive.loaded_hours"
        )
    }
    assert materialised == shown == in_warehouse
    assert len(in_warehouse) >= len(loaded), "nothing loaded before the kill was lost"
