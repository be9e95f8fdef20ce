"""`make run` exactly as a user runs it, on Timeline-era hours (2012)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
import pytest

from gharchive_assets.contract.archive_hour import (
    ARCHIVE_FIRST_HOUR,
    ArchiveHour,
    key_for,
    parse_key,
)
from gharchive_assets.core.concurrency import WAREHOUSE_SWAPS
from gharchive_assets.core.settings import Settings
from gharchive_assets.instance.local_instance import instance_at, prepare
from gharchive_assets.lake.paths import raw_path
from tests.archive_server import ArchiveServer
from tests.pipeline import query
from tests.synthetic import ArchiveFaker, write_hour
from tests.test_pool_slots import gone_pid, started_run

# Starts processes, servers or emulators: not in the fast lane.
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
HOURS = [datetime(2012, 3, 10, 22, tzinfo=UTC), datetime(2012, 3, 10, 23, tzinfo=UTC)]


# After the two hours: one the archive lost for good, then one whose file is damaged.
LOST, DAMAGED = "2012-03-11-00:00", "2012-03-11-01:00"


@pytest.fixture(scope="module")
def timeline_archive(tmp_path_factory):
    directory = tmp_path_factory.mktemp("timeline")
    faker = ArchiveFaker(seed=2012)
    records = {hour: faker.hour(hour, 300, era="timeline") for hour in HOURS}
    for hour, hour_records in records.items():
        write_hour(directory, hour, hour_records)
    (directory / "2012-03-11-1.json.gz").write_bytes(b"\x1f\x8b" + b"\x00" * 300)
    with ArchiveServer(directory) as server:
        yield server, records


def make_run(tmp_path, server) -> subprocess.CompletedProcess:
    home = tmp_path / "dagster_home"
    home.mkdir(exist_ok=True)
    # The source and the data directory come from a settings file, as from .env.
    settings_file = tmp_path / "settings.env"
    settings_file.write_text(
        f"GHARCHIVE_BASE_URL={server.url}\nGHARCHIVE_DATA_DIR={tmp_path / 'data'}\n"
    )
    env = {**os.environ, "DAGSTER_HOME": str(home), "GHARCHIVE_ENV_FILE": str(settings_file)}
    for name in ("GHARCHIVE_START", "GHARCHIVE_BASE_URL", "GHARCHIVE_DATA_DIR"):
        env.pop(name, None)
    command = [
        "make", "--no-print-directory", "run", f"VENV={sys.prefix}",
        "START=2012-03-10-22:00", f"END={DAMAGED}",
    ]  # fmt: skip
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)


def killed_run_holding_the_warehouse(home: Path) -> str:
    """A `make run` killed while it loaded: its run still shown running, its
    process gone, the warehouse pool's only slot still taken."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text((REPO / "deploy/dagster.local.yaml").read_text())
    prepare(home)
    with instance_at(home) as instance:
        run = started_run(instance, gone_pid())
        # The pool's slot as the run's own executor allocates it (default_limit 1).
        instance.event_log_storage.initialize_concurrency_limit_to_default(WAREHOUSE_SWAPS)
        status = instance.event_log_storage.claim_concurrency_slot(
            WAREHOUSE_SWAPS, run.run_id, "gharchive__events"
        )
        assert status.is_claimed
    return run.run_id


def test_make_run_loads_timeline_hours_and_a_bad_hour_holds_back_no_other(
    tmp_path, timeline_archive
):
    """Timeline hours before the default start, after a killed run that kept the
    warehouse's slot; one hour's file is damaged, one hour was lost at the source."""
    server, records = timeline_archive
    killed = killed_run_holding_the_warehouse(tmp_path / "dagster_home")
    completed = make_run(tmp_path, server)
    assert completed.returncode != 0, "an hour failed: the run says so"
    said = [line for line in completed.stdout.splitlines() if line.startswith("make run:")]
    settings_line, plan = said[:2]
    assert settings_line == (
        f"make run: from {tmp_path / 'settings.env'}: GHARCHIVE_BASE_URL, GHARCHIVE_DATA_DIR"
    ), completed.stdout[:500]
    assert plan.startswith(
        f"make run: 4 hours, 2012-03-10-22:00 .. {DAMAGED}, from {server.url} into the local target"
    ), completed.stdout[:500]
    assert (tmp_path / "data" / "warehouse.duckdb").exists(), "the data directory from the file"
    # Before: the run waited for the killed run's slot for good, saying nothing.
    assert (
        f"pool slots: freed the slot of pool {WAREHOUSE_SWAPS} held by run {killed[:8]}"
        in completed.stdout
    )
    # The damaged hour fails alone: the hours it held back in its run are run again.
    assert f"hours 2012-03-10-22:00...{LOST} did not fail" in completed.stdout
    assert "2 of 4 loaded, 1 missing at the source" in completed.stdout
    assert "rows loaded: 600" in completed.stdout
    per_hour = completed.stdout[completed.stdout.index("hours of this run: ") :]
    assert per_hour.startswith("hours of this run: 2 loaded, 1 missing at source, 1 failed")
    assert f"{DAMAGED}  failed" in per_hour and "HourFailed" in per_hour
    assert f"{LOST}  missing at source" in per_hour
    assert "2012-03-10-22:00  loaded             300 rows" in per_hour

    settings = Settings(data_dir=tmp_path / "data")
    every = [r for hour_records in records.values() for r in hour_records]
    assert query(settings, "select count(*), count(distinct id) from gharchive.events") == [
        (600, 600)
    ]
    # Pacific offsets become UTC days: 22:00 UTC on 2012-03-10 is still the 10th.
    want = Counter(
        (datetime.fromisoformat(r["created_at"]).astimezone(UTC).date(), r["type"]) for r in every
    )
    got = query(settings, "select day, event_type, events from analytics.daily_event_counts")
    assert {(day, kind): n for day, kind, n in got} == dict(want)

    # What a person reads: dbt's lines in a file, a summary that says where things are.
    output = (completed.stdout + completed.stderr).splitlines()
    assert len(output) <= 110, "\n".join(output)
    assert not any(" of " in line and (" PASS " in line or " START " in line) for line in output)
    summary = completed.stdout[completed.stdout.index("\nrun ") :]
    assert " FAILURE in " in summary.splitlines()[1]
    # Then the held-back hours run again, and the models' build of the two days.
    assert summary.splitlines()[2].startswith("then ") and " SUCCESS" in summary.splitlines()[2]
    assert "wall time: " in summary and "of which dbt " in summary
    assert "quarantined lines: 0" in summary and "check warnings:" in summary
    assert f"warehouse  {tmp_path / 'data' / 'warehouse.duckdb'}" in summary
    log = next((tmp_path / "data" / "logs").glob("dbt-*.log"))
    assert f"dbt's log  {log}" in summary and "Completed successfully" in log.read_text()
    assert "`make dev`, then http://127.0.0.1:3000/runs/" in summary


def test_make_run_fails_fast_on_a_host_that_does_not_resolve(tmp_path):
    """No route to the archive: the run fails within a minute, and the last
    lines say which variable to check."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "GHARCHIVE_BASE_URL": "http://no-such-host.invalid",
        "GHARCHIVE_DATA_DIR": str(tmp_path / "data"),
    }
    command = [
        "make", "--no-print-directory", "run", f"VENV={sys.prefix}",
        "START=2015-01-01-00:00", "END=2015-01-01-00:00",
    ]  # fmt: skip
    completed = subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )
    assert completed.returncode != 0
    last = "\n".join(completed.stdout.splitlines()[-8:])
    assert "GHARCHIVE_BASE_URL" in last and "no-such-host.invalid" in last, last
    assert "nothing is loaded yet" in completed.stdout
    # Fast: it gave up after the unreachable source's two tries, no backoff ladder.
    assert "(after 2 tries)" in completed.stdout


@pytest.mark.parametrize(
    ("arguments", "environment", "message"),
    [
        (["START=2015-01-01-05:00", "END=2015-01-01-02:00"], {}, "is after END"),
        (["START=2015-01-01-5", "END=2015-01-01-06:00"], {}, "is not an hourly partition key"),
        ([], {"GHARCHIVE_START": "2015-13-01-00:00"}, "GHARCHIVE_START must be an hour"),
    ],
    ids=["start-after-end", "malformed-key", "malformed-gharchive-start"],
)
def test_make_run_refuses_bad_input_before_running_anything(
    tmp_path, arguments, environment, message
):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "home"), **environment}
    env["GHARCHIVE_DATA_DIR"] = str(tmp_path / "data")
    command = ["make", "--no-print-directory", "run", f"VENV={sys.prefix}", *arguments]
    completed = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    assert completed.returncode != 0
    assert message in completed.stderr
    assert not (tmp_path / "data").exists(), "nothing ran"


def test_make_run_from_the_archives_first_hour_to_now_prints_its_plan_then_loads(tmp_path):
    """The whole archive: the plan first, then the first hour, in bounded memory
    (before, 4 minutes of silence and 2 GB first). How long each took is
    printed, not asserted: bench/ measures speed."""
    first_hour = parse_key(ARCHIVE_FIRST_HOUR)
    archive = tmp_path / "archive"
    archive.mkdir()
    write_hour(archive, first_hour, ArchiveFaker(seed=2011).hour(first_hour, 50, era="timeline"))
    end = key_for(datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=2))
    hours = int((parse_key(end) - first_hour) / timedelta(hours=1)) + 1
    months = (parse_key(end).year - 2011) * 12 + parse_key(end).month - 2 + 1
    env = {
        **os.environ,
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "GHARCHIVE_DATA_DIR": str(tmp_path / "data"),
    }
    env.pop("GHARCHIVE_START", None)
    env.pop("GITHUB_TOKEN", None)  # the run says once that it skips the star history
    (tmp_path / "dagster_home").mkdir()
    with ArchiveServer(archive) as server:
        env["GHARCHIVE_BASE_URL"] = server.url
        command = [
            "make", "--no-print-directory", "run", f"VENV={sys.prefix}",
            f"START={ARCHIVE_FIRST_HOUR}", f"END={end}",
        ]  # fmt: skip
        make = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=subprocess.PIPE, text=True, start_new_session=True
        )
        try:
            started = time.monotonic()
            plan, stars, first_run = (make.stdout.readline() for _ in range(3))
            said = time.monotonic() - started
            downloaded = tmp_path / "data" / "lake" / raw_path(ArchiveHour.of(ARCHIVE_FIRST_HOUR))
            while not downloaded.exists() and time.monotonic() - started < 300:
                time.sleep(0.5)
            downloading = time.monotonic() - started
            tree = psutil.Process(make.pid)
            memory = sum(p.memory_info().rss for p in [tree, *tree.children(recursive=True)])
        finally:
            os.killpg(make.pid, signal.SIGTERM)
            make.wait(timeout=60)
    print(f"plan {said:.1f} s, first hour {downloading:.1f} s, {memory / 1e6:.0f} MB")
    assert plan.startswith(f"make run: {hours:,} hours, {ARCHIVE_FIRST_HOUR} .. {end}, from "), plan
    assert f"{months} runs of a month of hours at most" in plan, plan
    assert stars.startswith(
        "make run: GITHUB_TOKEN is not set, so GitHub's star history is skipped"
    ), stars
    assert first_run == f"make run: run 1 of {months}: {ARCHIVE_FIRST_HOUR} .. 2011-02-28-23:00\n"
    # What happened, not how long it took (the figures are printed above): the
    # plan, then the first run's line, came first on make run's output, and
    # the first hour followed.
    assert downloaded.exists(), f"no first hour after {downloading:.0f} s"
    assert memory < 1.5e9, f"{memory / 1e6:.0f} MB before the first hour"


def test_settings_are_data_and_no_shell_runs_them(tmp_path):
    """A settings file whose DAGSTER_HOME holds shell syntax and spaces, and a
    START holding a quote: make runs no command of theirs (each would create a
    file in the checkout, where make runs), the instance goes to the literal
    path (one directory, spaces and all), and the bad key is refused."""
    pwned = [REPO / f"pwned-{n}" for n in (1, 2, 3)]
    settings_file = tmp_path / "hostile.env"
    home = tmp_path / "home $(touch pwned-1) `touch pwned-2`"
    settings_file.write_text(f"DAGSTER_HOME={home}\nGHARCHIVE_DATA_DIR={tmp_path / 'data'}\n")
    env = {**os.environ, "GHARCHIVE_ENV_FILE": str(settings_file)}
    env.pop("DAGSTER_HOME", None)
    try:
        setup = ["make", "--no-print-directory", "setup", f"VENV={sys.prefix}"]
        completed = subprocess.run(setup, cwd=REPO, env=env, capture_output=True, text=True)
        assert completed.returncode == 0, completed.stderr[-2000:]
        assert (home / "dagster.yaml").is_file(), "the instance is where the file says"
        assert sorted(p.name for p in tmp_path.iterdir()) == [home.name, "hostile.env"]
        quote = "START=2015-01-01-00:00'; touch pwned-3; echo '"
        run = ["make", "--no-print-directory", "run", f"VENV={sys.prefix}", quote]
        completed = subprocess.run(run, cwd=REPO, env=env, capture_output=True, text=True)
        assert completed.returncode != 0
        assert "is not an hourly partition key" in completed.stderr
        assert [path.name for path in pwned if path.exists()] == []
    finally:
        for path in pwned:
            path.unlink(missing_ok=True)


@pytest.mark.parametrize("kind", ["missing", "a-directory"])
def test_a_named_settings_file_that_cannot_be_read_is_an_error(tmp_path, kind):
    named = tmp_path / "gcp.env"
    if kind == "a-directory":
        named.mkdir()
    env = {**os.environ, "GHARCHIVE_ENV_FILE": str(named), "DAGSTER_HOME": str(tmp_path / "h")}
    command = ["make", "--no-print-directory", "run", f"VENV={sys.prefix}"]
    completed = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    assert completed.returncode != 0
    what = "does not exist" if kind == "missing" else "is not a file"
    assert f"GHARCHIVE_ENV_FILE names {named}, which {what}" in completed.stderr
    assert not (tmp_path / "data").exists(), "nothing ran"


def sigterm_ignored(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    (mask,) = [line.split()[1] for line in status if line.startswith("SigIgn")]
    return bool(int(mask, 16) & (1 << (signal.SIGTERM - 1)))


def test_make_run_ends_though_it_inherited_sigterm_ignored(tmp_path):
    """`make run &` from a script starts with SIGINT ignored, and Dagster maps
    SIGTERM onto SIGINT's handler: the pool-slot watcher then inherited SIGTERM
    ignored, and make run waited for it forever. The watcher takes SIGTERM back;
    make run kills what does not stop."""
    from gharchive_assets.cli.make_run import stop

    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("")
    env = {**os.environ, "DAGSTER_HOME": str(home), "GHARCHIVE_POOL_WATCH_SECONDS": "3600"}
    ignoring = lambda: signal.signal(signal.SIGTERM, signal.SIG_IGN)  # noqa: E731
    watcher = subprocess.Popen(
        [sys.executable, "-m", "gharchive_assets.instance.pool_slots", "watch"],
        env=env, preexec_fn=ignoring,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 300  # a budget for a busy machine
        while sigterm_ignored(watcher.pid) and watcher.poll() is None:
            assert time.monotonic() < deadline, "the watcher never took SIGTERM back"
            time.sleep(0.2)
        watcher.terminate()
        assert watcher.wait(timeout=120) == -signal.SIGTERM
    finally:
        watcher.kill()
    stubborn = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(600)"], preexec_fn=ignoring
    )
    stop(stubborn, grace_seconds=1)
    assert stubborn.returncode == -signal.SIGKILL, "killed after its grace, not waited for"
