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
DAEMON_ENV = {
    "DAGSTER_ASSET_BACKFILL_RUN_CHUNK_SIZE": "1",
    "DAGSTER_EVENT_BATCH_SIZE": "1000",
    "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS": "1",
}
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
query Status($id: String!, $runs: Int!) {
  partitionBackfillOrError(backfillId: $id) {
    __typename
    ... on PartitionBackfill { status numPartitions runs(limit: $runs) { runId status tags { key value } } }
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
# What the backfill page's Overview asks (the UI's BackfillDetailsQuery, its
# asset-backfill part): the per-asset progress table.
BACKFILL_DETAILS = """
query BackfillDetailsQuery($backfillId: String!) {
  partitionBackfillOrError(backfillId: $backfillId) {
    ... on PartitionBackfill {
      id status numPartitions isAssetBackfill
      assetBackfillData {
        rootTargetedPartitions { partitionKeys ranges { start end } }
        assetBackfillStatuses {
          ... on AssetPartitionsStatusCounts {
            assetKey { path }
            numPartitionsTargeted numPartitionsInProgress numPartitionsMaterialized
            numPartitionsFailed
          }
        }
      }
    }
    ... on PythonError { message }
  }
}"""
ASSETS = "{ assetNodes { assetKey { path } groupName } }"


def graphql(port: int, document: str, variables: dict | None = None, timeout: float = 60) -> dict:
    body = json.dumps({"query": document, "variables": variables or {}}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        answer = json.loads(response.read())
    assert "errors" not in answer, answer
    return answer["data"]


def asset_groups(port: int) -> dict[str, list[dict]]:
    """Each asset group's asset keys (GraphQL ``AssetKeyInput``s), as the UI lists them."""
    groups: dict[str, list[dict]] = {}
    for node in graphql(port, ASSETS)["assetNodes"]:
        groups.setdefault(node["groupName"], []).append({"path": node["assetKey"]["path"]})
    return groups


def launch_asset_backfill(port: int, keys: list[str], selection: list[dict]) -> str:
    """A backfill of ``keys`` for the assets of ``selection``, as the UI's
    Materialize dialog launches it (an asset backfill, the keys listed); its id."""
    params = {"partitionNames": keys, "assetSelection": selection, "fromFailure": False}
    launched = graphql(port, LAUNCH, {"params": params})["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched
    return launched["backfillId"]


def launch_backfill(port: int, keys: list[str]) -> str:
    """A backfill of ``keys`` for every asset but the (daily) report; its id."""
    selection = [
        key
        for keys in asset_groups(port).values()
        for key in keys
        if key["path"] != ["daily_report"]
    ]
    return launch_asset_backfill(port, keys, selection)


def backfill_status(port: int, backfill_id: str, runs: int = 1000) -> dict:
    """The backfill's status and its latest ``runs`` runs."""
    variables = {"id": backfill_id, "runs": runs}
    return graphql(port, STATUS, variables)["partitionBackfillOrError"]


class DagsterDev:
    """`make dev`'s process (gharchive_assets.cli.dev_server: `dagster dev -w
    workspace.yaml`) on a free loopback port, ready when its GraphQL answers;
    ``env`` is added to this process's environment, ``config`` replaces the
    local instance's dagster.yaml. No .env is read unless ``env`` names one
    (GHARCHIVE_ENV_FILE). ``repo``: the checkout whose code runs."""

    def __init__(
        self,
        home: Path,
        env: dict[str, str],
        port: int,
        config: str | None = None,
        repo: Path = REPO,
    ):
        home.mkdir(parents=True, exist_ok=True)
        if config is None:
            config = (repo / "deploy" / "dagster.local.yaml").read_text()
        (home / "dagster.yaml").write_text(config)
        (home / "no.env").touch()  # an empty settings file: the checkout's .env is not read
        self.home, self.port = home, port
        full_env = {
            **os.environ,
            **DAEMON_ENV,
            "DAGSTER_HOME": str(home),
            "GHARCHIVE_ENV_FILE": str(home / "no.env"),
            **env,
        }
        if repo != REPO:  # another checkout's code (a benchmark's baseline)
            full_env["PYTHONPATH"] = str(repo)
        full_env.pop("PYTHONDONTWRITEBYTECODE", None)
        self.log = open(home / "dagster_dev.log", "wb")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gharchive_assets.cli.dev_server", "--port", str(port)],
            cwd=repo, env=full_env, stdout=self.log, stderr=self.log, start_new_session=True,
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
