"""A backfill launched as the UI launches it: GraphQL against `dagster dev` with its daemon,
with the local instance's config (runs queued one at a time) and batches of three hours."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gharchive_assets.settings import Settings
from gharchive_assets.testing.synthetic import ArchiveFaker, write_hour
from tests import expected
from tests.archive_server import ArchiveServer
from tests.loopback import free_port
from tests.pipeline import query

REPO = Path(__file__).resolve().parents[1]
HOURS = [datetime(2015, 1, 3, h, tzinfo=UTC) for h in range(6)]
KEYS = [f"{hour:%Y-%m-%d-%H}:00" for hour in HOURS]
LAUNCH = """
mutation Launch($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message stack }
    ... on UnauthorizedError { message }
  }
}"""
STATUS = """
query Status($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    __typename
    ... on PartitionBackfill { status numPartitions runs(limit: 100) { runId status } }
    ... on PythonError { message }
  }
}"""
ASSETS = "{ assetNodes { assetKey { path } } }"


def graphql(port: int, document: str, variables: dict | None = None) -> dict:
    body = json.dumps({"query": document, "variables": variables or {}}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.loads(response.read())
    assert "errors" not in answer, answer
    return answer["data"]


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
    home = tmp_path_factory.mktemp("dagster_home")
    (home / "dagster.yaml").write_text((REPO / "deploy" / "dagster.local.yaml").read_text())
    data_dir = tmp_path_factory.mktemp("data")
    port = free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "GHARCHIVE_BASE_URL": server.url,
        "GHARCHIVE_DATA_DIR": str(data_dir),
        "GHARCHIVE_START": "2015-01-01-00:00",
        "GHARCHIVE_HOURS_PER_RUN": "3",
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    with open(home / "dagster_dev.log", "wb") as log:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("dagster")), "dev", "-w", "workspace.yaml",
             "-h", "127.0.0.1", "-p", str(port)],
            cwd=REPO, env=env, stdout=log, stderr=log, start_new_session=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 180
            while True:
                try:
                    graphql(port, ASSETS)
                    break
                except Exception:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(
                            "dagster dev did not start: "
                            + (home / "dagster_dev.log").read_text()[-3000:]
                        ) from None
                    time.sleep(1)
            yield port, Settings(data_dir=data_dir)
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def test_a_backfill_from_the_ui_runs_in_batches_and_loads_every_hour(dagster_dev, backfill_archive):
    port, settings = dagster_dev
    _, records = backfill_archive
    # What a user selects for hours: every asset but the (daily) report.
    selection = [
        node["assetKey"]
        for node in graphql(port, ASSETS)["assetNodes"]
        if node["assetKey"]["path"] != ["daily_report"]
    ]
    assert len(selection) > 20, "the hourly assets, dbt models included"
    launched = graphql(
        port,
        LAUNCH,
        {"params": {"partitionNames": KEYS, "assetSelection": selection, "fromFailure": False}},
    )["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched
    deadline = time.monotonic() + timedelta(minutes=8).total_seconds()
    while True:
        backfill = graphql(port, STATUS, {"id": launched["backfillId"]})["partitionBackfillOrError"]
        if backfill["status"] not in ("REQUESTED", "CANCELING", "FAILING"):
            break
        assert time.monotonic() < deadline, backfill
        time.sleep(3)
    assert backfill["status"] in ("COMPLETED", "COMPLETED_SUCCESS"), backfill
    assert backfill["numPartitions"] == 6
    # GHARCHIVE_HOURS_PER_RUN=3: two runs of three hours, not six runs or one.
    assert [run["status"] for run in backfill["runs"]] == ["SUCCESS", "SUCCESS"]

    events = expected.deduplicated(records)
    counts = query(
        settings, "select archive_hour, count(*) from gharchive.events group by 1 order by 1"
    )
    assert [n for _, n in counts] == [len(records[hour]) for hour in HOURS]
    daily = query(
        settings, "select day, event_type, events, actors, repos from analytics.daily_event_counts"
    )
    assert {(d, t): (n, a, r) for d, t, n, a, r in daily} == expected.daily_event_counts(events)
