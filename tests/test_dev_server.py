"""`make dev` as a user meets it: settings from `.env`, a fixed code location
name, and a clean stop on SIGTERM."""

from __future__ import annotations

import os
import signal

import psutil
import pytest

from tests.dagster_dev import DagsterDev, graphql
from tests.loopback import free_port

pytestmark = pytest.mark.slow

LOCATION_AND_FIRST_HOURS = """{
  workspaceOrError { ... on Workspace { locationEntries { name } } }
  assetNodeOrError(assetKey: {path: ["raw_archive_hour"]}) {
    ... on AssetNode { partitionKeys }
  }
}"""


def test_dotenv_reaches_the_code_location_and_sigterm_stops_everything(tmp_path):
    dotenv = tmp_path / "settings.env"
    dotenv.write_text(f"GHARCHIVE_START=2026-11-30-05:00\nGHARCHIVE_DATA_DIR={tmp_path}/data\n")
    env = {"GHARCHIVE_ENV_FILE": str(dotenv)}
    for name in ("GHARCHIVE_START", "GHARCHIVE_DATA_DIR"):
        env[name] = ""  # unset: the file's value must be the one used
    dev = DagsterDev(tmp_path / "home", env, free_port())
    try:
        answer = graphql(dev.port, LOCATION_AND_FIRST_HOURS)
        locations = [e["name"] for e in answer["workspaceOrError"]["locationEntries"]]
        assert locations == ["gharchive_assets"]
        keys = answer["assetNodeOrError"]["partitionKeys"]
        assert keys[0] == "2026-11-30-05:00", "GHARCHIVE_START from the .env file"
        launcher = psutil.Process(dev.process.pid)
        session = [launcher, *launcher.children(recursive=True)]
        assert len(session) >= 4, "make dev, dagster dev, its webserver, daemon, code server"
        os.kill(dev.process.pid, signal.SIGTERM)
        dev.process.wait(timeout=120)  # a budget for a busy machine, not a figure
        left = [p.pid for p in session if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        assert not left, f"SIGTERM left {left} running"
    finally:
        dev.stop()
