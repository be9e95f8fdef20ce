"""The dagster CLI as CI and ``make run`` use it, on a temporary instance."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from gharchive_assets.cli.make_run import HOURS, MODELS
from gharchive_assets.core.settings import Settings
from tests.conftest import REAL_HOUR
from tests.pipeline import query

# Starts processes, servers or emulators: not in the fast lane.
pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[1]


def environment(tmp_path, base_url: str) -> dict[str, str]:
    home = tmp_path / "dagster_home"
    home.mkdir(exist_ok=True)
    (home / "dagster.yaml").write_text("")
    return {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "GHARCHIVE_BASE_URL": base_url,
        "GHARCHIVE_DATA_DIR": str(tmp_path / "data"),
    }


def run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env, cwd=REPO, capture_output=True, text=True, timeout=600)


def test_definitions_validate(tmp_path, archive_server):
    env = environment(tmp_path, archive_server.url)
    completed = run([str(BIN / "dagster"), "definitions", "validate"], env)
    assert completed.returncode == 0, completed.stderr
    assert "Validation successful" in completed.stderr + completed.stdout


def test_dg_check_defs(tmp_path, archive_server):
    env = environment(tmp_path, archive_server.url)
    completed = run([str(BIN / "dg"), "check", "defs"], env)
    assert completed.returncode == 0, completed.stdout + completed.stderr


@pytest.mark.skipif(
    not REAL_HOUR.exists(), reason="the shared real archive hour is not beside the repo"
)
def test_real_hour_through_the_cli(tmp_path):
    env = environment(tmp_path, REAL_HOUR.parent.as_uri())
    # The hour's assets, then the dbt models of its day, as `make run` runs them.
    for selection, partition in ((HOURS, "2015-01-01-01:00"), (MODELS, "2015-01-01")):
        completed = run(
            [str(BIN / "dagster"), "asset", "materialize", "-m", "gharchive_assets.definitions",
             "--select", selection, "--partition", partition],
            env,
        )  # fmt: skip
        assert completed.returncode == 0, completed.stderr[-3000:]
    settings = Settings(data_dir=tmp_path / "data")
    assert query(settings, "select count(*), count(distinct id) from gharchive.events") == [
        (7427, 7427)
    ]
    with gzip.open(REAL_HOUR) as handle:
        records = [json.loads(line) for line in handle]
    by_type = Counter(r["type"] for r in {r["id"]: r for r in records}.values())
    marts = query(settings, "select event_type, events from analytics.daily_event_counts")
    assert dict(marts) == dict(by_type)
