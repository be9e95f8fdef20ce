"""What a careful operator does wrong, or finds broken, and what the pipeline does then.

A misconfigured source, a republished file, a run killed mid-hour, two runs at
once: nothing loaded is lost, nothing stays stuck, and the message says what to do.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import orjson
import pytest

from gharchive_assets.contract.archive_hour import parse_key
from gharchive_assets.core.partitions import hourly_partitions
from gharchive_assets.core.settings import Settings
from gharchive_assets.defs.automation import plan_catch_up
from gharchive_assets.instance.run_launcher import run_worker_pid
from gharchive_assets.reporting import run_summary
from gharchive_assets.source.resource import ArchiveSourceResource
from tests import expected
from tests.archive_server import ArchiveServer
from tests.pipeline import materialize_command, materialize_hours, query, step_failure_message
from tests.synthetic import ArchiveFaker

# Starts processes, servers or emulators: not in the fast lane.
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
LAKE_ONLY = [
    dg.AssetKey("raw_archive_hour"),
    dg.AssetKey("clean_events_hour"),
    dg.AssetKey(["gharchive", "events"]),
]


def warehouse_state(settings) -> dict:
    """Rows per archive hour, and the lake's files: what a fault must not change."""
    rows = dict(query(settings, "select archive_hour, count(*) from gharchive.events group by 1"))
    lake = sorted(
        str(path.relative_to(settings.lake_root))
        for path in settings.lake_root.rglob("*")
        if path.is_file() and ".staging" not in path.parts
    )
    return {"rows": rows, "lake": lake}


def test_a_source_that_serves_nothing_fails_the_run_and_changes_nothing(
    settings, instance, archive_server, tmp_path
):
    loaded = materialize_hours(
        settings, instance, "2015-01-01-22:00", "2015-01-01-23:00", selection=LAKE_ONLY
    )
    assert loaded.success
    # The lake no longer holds the raw file of 22:00, so its source is asked for it.
    (settings.lake_root / "raw/2015/01/01/2015-01-01-22.json.gz").unlink()
    before = warehouse_state(settings)

    requests_before = len(archive_server.requests)
    wrong_path = replace(settings, base_url=f"{archive_server.url}/no/such/mirror")
    result = materialize_hours(wrong_path, instance, "2015-01-01-21:00", "2015-01-02-00:00")
    assert not result.success
    message = step_failure_message(result)
    assert "GHARCHIVE_BASE_URL" in message and "/no/such/mirror" in message
    assert "not tried" in message, "the hours after the first are not tried"
    assert len(archive_server.requests) - requests_before <= 10, "it fails fast"
    assert warehouse_state(settings) == before

    unmounted = replace(settings, base_url=(tmp_path / "not-mounted").as_uri())
    result = materialize_hours(unmounted, instance, "2015-01-01-21:00", "2015-01-01-23:00")
    assert not result.success
    message = step_failure_message(result)
    assert "GHARCHIVE_BASE_URL" in message and "not a directory" in message
    assert warehouse_state(settings) == before


def test_a_sparse_mirror_loads_the_hours_it_has_and_each_other_hour_fails_alone(
    settings, instance, generated_archive, tmp_path
):
    """A mirror holding one hour of a range: the probe of the first hour finds
    nothing around it, but that verdict is about that hour alone. The served
    hour loads exactly; its neighbours are taken for lost (loaded empty), as
    GH Archive's own lost hours are; every other hour fails by itself, saying
    why, and none is "not tried"."""
    mirror = tmp_path / "sparse"
    mirror.mkdir()
    served = "2015-01-01-23.json.gz"
    (mirror / served).write_bytes((generated_archive["dir"] / served).read_bytes())
    sparse = replace(settings, base_url=mirror.as_uri())
    result = materialize_hours(
        sparse, instance, "2015-01-01-16:00", "2015-01-02-02:00", selection=LAKE_ONLY
    )
    assert not result.success
    message = step_failure_message(result)
    assert "not tried" not in message
    assert "it lacks this one (a partial mirror?)" in message
    for key in ("2015-01-01-16:00", "2015-01-01-19:00", "2015-01-02-02:00"):
        assert f"- {key}: HourNotPublished" in message
    # As `make run` does: the hours the failed ones held back in that run, again.
    again = materialize_hours(
        sparse, instance, "2015-01-01-21:00", "2015-01-02-01:00", selection=LAKE_ONLY
    )
    assert again.success
    rows = dict(query(sparse, "select archive_hour, rows from gharchive.loaded_hours"))
    records = generated_archive["hours"][datetime(2015, 1, 1, 23, tzinfo=UTC)]
    assert rows.pop(datetime(2015, 1, 1, 23)) == len(records)
    assert rows == {
        datetime(2015, 1, 1, 21): 0,
        datetime(2015, 1, 1, 22): 0,
        datetime(2015, 1, 2, 0): 0,
        datetime(2015, 1, 2, 1): 0,
    }, "only the hours around the served one are taken for lost (loaded empty)"


def test_a_loaded_hour_is_not_emptied_because_its_source_lost_it(
    settings, instance, generated_archive, tmp_path
):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    for name in ("2015-01-01-22.json.gz", "2015-01-01-23.json.gz"):
        (mirror / name).write_bytes((generated_archive["dir"] / name).read_bytes())
    local = replace(settings, base_url=mirror.as_uri())
    hour = "2015-01-01-22:00"
    assert materialize_hours(local, instance, hour, hour, selection=LAKE_ONLY).success
    loaded = warehouse_state(local)["rows"][datetime(2015, 1, 1, 22)]
    # The raw file leaves the lake and the mirror; the hour after is still served.
    (local.lake_root / "raw/2015/01/01/2015-01-01-22.json.gz").unlink()
    (mirror / "2015-01-01-22.json.gz").unlink()

    result = materialize_hours(local, instance, hour, hour, selection=LAKE_ONLY)
    assert not result.success
    message = step_failure_message(result)
    assert f"{loaded:,} events" in message and "accept_missing_at_source" in message
    assert warehouse_state(local)["rows"][datetime(2015, 1, 1, 22)] == loaded
    assert not list(local.lake_root.rglob("*.missing.json"))

    asked = {"ops": {"raw_archive_hour": {"config": {"accept_missing_at_source": True}}}}
    result = materialize_hours(local, instance, hour, hour, LAKE_ONLY, run_config=asked)
    assert result.success
    assert datetime(2015, 1, 1, 22) not in warehouse_state(local)["rows"]
    assert (local.lake_root / "raw/2015/01/01/2015-01-01-22.missing.json").exists()


def stored_gzip(records: list[dict]) -> bytes:
    """An archive file without compression, so an edit that keeps the text's
    length keeps the file's size (a republish the size cannot show)."""
    return gzip.compress(b"\n".join(orjson.dumps(r) for r in records) + b"\n", compresslevel=0)


def test_a_republished_hour_of_the_same_size_is_downloaded_and_loaded_again(
    tmp_path, instance, settings
):
    records = ArchiveFaker(seed=31).hour(datetime(2015, 1, 1, 22, tzinfo=UTC), 300)
    directory = tmp_path / "served"
    directory.mkdir()
    served = directory / "2015-01-01-22.json.gz"
    served.write_bytes(stored_gzip(records))
    hour = "2015-01-01-22:00"
    with ArchiveServer(directory) as server:
        local = replace(settings, base_url=server.url)

        def downloads() -> int:
            return server.requests.count(("GET", served.name))

        assert materialize_hours(local, instance, hour, hour, selection=LAKE_ONLY).success
        assert materialize_hours(local, instance, hour, hour, selection=LAKE_ONLY).success
        assert downloads() == 1, "unchanged at the source: the lake's copy is used"

        original = records[0]["repo"]["name"]
        renamed = original[:-1] + ("X" if original[-1] != "X" else "Y")
        records[0] = records[0] | {"repo": records[0]["repo"] | {"name": renamed}}
        size = served.stat().st_size
        served.write_bytes(stored_gzip(records))
        assert served.stat().st_size == size
        later = served.stat().st_mtime + 120
        os.utime(served, (later, later))  # a new Last-Modified

        assert materialize_hours(local, instance, hour, hour, selection=LAKE_ONLY).success
        assert downloads() == 2
        names = {name for (name,) in query(local, "select repo_name from gharchive.events")}
        assert renamed in names
        recorded = json.loads(
            (local.lake_root / "raw/2015/01/01/2015-01-01-22.source.json").read_text()
        )
        assert recorded["bytes"] == size and recorded["last_modified"]
        assert query(local, "select count(*) from gharchive.events")[0][0] == 300


def test_staging_left_by_a_killed_run_is_swept_when_a_run_starts(settings, instance):
    staging = settings.lake_root / ".staging"
    stale, fresh = staging / "tmp-killed-run", staging / "tmp-running-now"
    for directory in (stale, fresh):
        directory.mkdir(parents=True)
        (directory / "download.json.gz").write_bytes(b"x" * 1000)
    seven_hours_ago = time.time() - 7 * 3600
    for path in (stale / "download.json.gz", stale):
        os.utime(path, (seven_hours_ago, seven_hours_ago))
    hour = "2015-01-01-22:00"
    assert materialize_hours(settings, instance, hour, hour, selection=LAKE_ONLY[:1]).success
    assert not stale.exists()
    assert (fresh / "download.json.gz").exists(), "a directory in use is left alone"


def cli_env(home: Path, data: Path, base_url: str) -> dict:
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "GHARCHIVE_BASE_URL": base_url,
        "GHARCHIVE_DATA_DIR": str(data),
    }
    env.pop("GHARCHIVE_START", None)
    return env


def test_overlapping_make_runs_all_succeed_and_load_each_hour_once(
    tmp_path, archive_server, generated_archive
):
    """Started together on a fresh DAGSTER_HOME, as users start them, over
    overlapping hours and days: the pools and the warehouse's lock let one
    swap and one dbt build write at a time; every hour once, the marts exact."""
    env = cli_env(tmp_path / "dagster_home", tmp_path / "data", archive_server.url)
    ranges = (
        ("2015-01-01-22:00", "2015-01-01-23:00"),
        ("2015-01-01-23:00", "2015-01-02-00:00"),
        ("2015-01-01-22:00", "2015-01-02-00:00"),
    )
    runs = [
        subprocess.Popen(
            [
                "make",
                "--no-print-directory",
                "run",
                f"VENV={sys.prefix}",
                f"START={first}",
                f"END={last}",
            ],
            env=env,
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for first, last in ranges
    ]
    for run, (first, last) in zip(runs, ranges, strict=True):
        stdout, stderr = run.communicate(timeout=900)
        assert run.returncode == 0, stderr[-3000:]
        hours = (parse_key(last) - parse_key(first)).seconds // 3600 + 1
        assert f"{hours} of {hours} loaded" in stdout

    settings = Settings(data_dir=tmp_path / "data")
    hours = generated_archive["hours"]
    per_hour = dict(
        query(settings, "select archive_hour, count(*) from gharchive.events group by 1")
    )
    assert per_hour == {hour.replace(tzinfo=None): len(rows) for hour, rows in hours.items()}
    daily = query(
        settings, "select day, event_type, events, actors, repos from analytics.daily_event_counts"
    )
    assert {(d, t): (n, a, r) for d, t, n, a, r in daily} == expected.daily_event_counts(
        expected.deduplicated(hours)
    )


def test_a_killed_run_is_marked_failed_and_its_hour_asked_for_again(
    tmp_path, generated_archive, monkeypatch
):
    home = tmp_path / "dagster_home"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))  # the local event log lives under it
    config = (REPO / "deploy/dagster.local.yaml").read_text()
    (home / "dagster.yaml").write_text(
        config.replace("poll_interval_seconds: 30", "poll_interval_seconds: 1")
    )
    hour, name = "2015-01-01-22:00", "2015-01-01-22.json.gz"
    with ArchiveServer(generated_archive["dir"]) as server:
        server.faults[name] = ("stall", 300)  # the download hangs: the run is mid-hour
        env = cli_env(home, tmp_path / "data", server.url)
        worker = subprocess.Popen(
            materialize_command(hour), env=env, cwd=REPO,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        instance = dg.DagsterInstance.from_config(str(home))
        deadline = time.monotonic() + 120
        run = None
        while time.monotonic() < deadline:
            runs = instance.get_runs()
            if runs and run_worker_pid(instance, runs[0].run_id):
                run = runs[0]
                break
            time.sleep(0.5)
        assert run is not None, "the run never started"
        time.sleep(1)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()

        partitions = hourly_partitions("2015-01-01-00:00")
        source = ArchiveSourceResource(base_url=server.url)
        now = datetime(2015, 1, 2, 1, 30, tzinfo=UTC)
        stuck = plan_catch_up(now, instance, source, partitions, {}, lookback_hours=6)
        assert stuck.skipped[hour] == "a run is queued or in progress"
        assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.STARTED

        server.faults.clear()
        daemon = subprocess.Popen(
            [str(BIN / "dagster-daemon"), "run", "-m", "gharchive_assets.definitions"],
            env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                status = instance.get_run_by_id(run.run_id).status
                if status != dg.DagsterRunStatus.STARTED:
                    break
                time.sleep(1)
        finally:
            os.killpg(daemon.pid, signal.SIGTERM)
            daemon.wait(timeout=60)
        assert status == dg.DagsterRunStatus.FAILURE
        failure = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
        assert "is gone" in failure[-1].dagster_event.message

        again = plan_catch_up(now, instance, source, partitions, stuck.cursor, lookback_hours=6)
        assert hour in again.to_request
        instance.dispose()


def test_the_summary_creates_no_warehouse_and_says_what_a_failure_leaves_stale(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("GHARCHIVE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("GHARCHIVE_TARGET", raising=False)
    status = run_summary.main(["--start", "2015-01-01-00:00", "--end", "2015-01-01-02:00"])
    assert status == 1 and "nothing is loaded" in capsys.readouterr().out
    assert not (tmp_path / "data" / "warehouse.duckdb").exists()

    def failed(step: str, message: str) -> run_summary.RunFacts:
        return run_summary.RunFacts("0123abcd", "FAILURE", 12.0, failures=[(step, message)])

    lines = run_summary.what_failed(failed("analytics_models", "dbt test x failed"), 1)
    assert any("dbt failed" in line and "analytics.*" in line for line in lines)
    assert lines[-2:] == ["why (dbt):", "  dbt test x failed"], "the reason comes last"
    reason = "hour 2015-01-01-00:00: http://x.invalid cannot be reached. Check GHARCHIVE_BASE_URL"
    lines = run_summary.what_failed(failed("raw_archive_hour", reason), 1)
    assert any("some hours failed" in line for line in lines)
    assert not any("dbt" in line for line in lines)
    assert "GHARCHIVE_BASE_URL" in lines[-1]
    lines = run_summary.what_failed(None, 1)
    assert "the run was stopped or could not start" in lines[-1]
