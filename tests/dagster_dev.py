"""`dagster dev` (webserver and daemon) on loopback over a fresh DAGSTER_HOME with
the local instance's config, and its GraphQL, as the UI speaks it: what the
backfill test and bench/backfill_launch.py drive."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# What `make dev` exports (see the Makefile).
DAEMON_ENV = {"DAGSTER_ASSET_BACKFILL_RUN_CHUNK_SIZE": "1", "DAGSTER_EVENT_BATCH_SIZE": "1000"}
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
    ... on PartitionBackfill { status numPartitions runs(limit: 1000) { runId status tags { key value } } }
    ... on PythonError { message }
  }
}"""
CANCEL = """
mutation Cancel($id: String!) {
  cancelPartitionBackfill(backfillId: $id) {
    __typename
    ... on PythonError { message }
  }
}"""
ASSETS = "{ assetNodes { assetKey { path } } }"


def graphql(port: int, document: str, variables: dict | None = None) -> dict:
    body = json.dumps({"query": document, "variables": variables or {}}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        answer = json.loads(response.read())
    assert "errors" not in answer, answer
    return answer["data"]


def launch_backfill(port: int, keys: list[str]) -> str:
    """A backfill of ``keys`` for every asset but the (daily) report, as the UI's
    "Materialize all" launches it; its id."""
    selection = [
        node["assetKey"]
        for node in graphql(port, ASSETS)["assetNodes"]
        if node["assetKey"]["path"] != ["daily_report"]
    ]
    params = {"partitionNames": keys, "assetSelection": selection, "fromFailure": False}
    launched = graphql(port, LAUNCH, {"params": params})["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched
    return launched["backfillId"]


def backfill_status(port: int, backfill_id: str) -> dict:
    return graphql(port, STATUS, {"id": backfill_id})["partitionBackfillOrError"]


class DagsterDev:
    """`make dev`'s process (gharchive_assets.dev_server: `dagster dev -w
    workspace.yaml`) on a free loopback port, ready when its GraphQL answers;
    ``env`` is added to this process's environment, ``config`` replaces the
    local instance's dagster.yaml. No .env is read unless ``env`` names one
    (GHARCHIVE_ENV_FILE)."""

    def __init__(self, home: Path, env: dict[str, str], port: int, config: str | None = None):
        home.mkdir(parents=True, exist_ok=True)
        if config is None:
            config = (REPO / "deploy" / "dagster.local.yaml").read_text()
        (home / "dagster.yaml").write_text(config)
        self.home, self.port = home, port
        full_env = {
            **os.environ,
            **DAEMON_ENV,
            "DAGSTER_HOME": str(home),
            "GHARCHIVE_ENV_FILE": str(home / "no.env"),
            **env,
        }
        full_env.pop("PYTHONDONTWRITEBYTECODE", None)
        self.log = open(home / "dagster_dev.log", "wb")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gharchive_assets.dev_server", "--port", str(port)],
            cwd=REPO, env=full_env, stdout=self.log, stderr=self.log, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 180
        while True:
            try:
                graphql(port, ASSETS)
                return
            except Exception:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    log = (home / "dagster_dev.log").read_text()[-3000:]
                    raise RuntimeError(f"dagster dev did not start: {log}") from None
                time.sleep(1)

    def stop(self) -> None:
        if self.process.poll() is not None:
            self.log.close()
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.log.close()
