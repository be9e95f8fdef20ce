"""What ``make run`` does: the hours START..END through the ``dagster`` CLI, a
month of hours per run, each followed by one run of its days (GitHub's star
history when GITHUB_TOKEN is set, then one dbt build); then the summary.

python -m gharchive_assets.cli.make_run [START END]

Without arguments, START and END come from the environment (``make run
START=… END=…`` exports them: make passes them as data, never through a shell).

A range of any length starts at once, says what it will do, and keeps its
memory bounded: Dagster plans a run by writing an event per asset and
partition before the run exists, so a whole archive as one run would take
hours and gigabytes before its first hour. When hours fail, the hours their
run held back (a ranged step materialises all its hours or none) are run
again; the models of a month's days are built whatever failed, so every hour
that loaded reaches the marts.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from gharchive_assets.cli.run_range import partitions_start_for
from gharchive_assets.contract.archive_hour import key_for, parse_key
from gharchive_assets.core.local_env import (
    apply_dotenv,
    dagster_working_directory,
    settings_file,
)
from gharchive_assets.core.partitions import day_of
from gharchive_assets.core.settings import WHOLE_RANGE, SettingsError, load_settings
from gharchive_assets.core.stop_signals import take_back_stop_signals

HOURS = "key:raw_archive_hour or key:clean_events_hour or key:gharchive/events"
MODELS = "key:analytics/*"
# How long the pool-slot watcher has to stop on SIGTERM before it is killed.
WATCHER_STOP_SECONDS = 10.0
# GitHub's star history of each day's top repositories, before the models that read it.
STAR_HISTORY = "key:github/star_history"
# Dagster's beta notices and DEBUG events would bury the run's own log lines.
RUN_CONFIG = '{"loggers": {"console": {"config": {"log_level": "INFO"}}}}'


def monthly_ranges(first: datetime, last: datetime) -> list[tuple[str, str]]:
    """first..last (inclusive hours) cut at the start of each UTC month."""
    ranges = []
    start = first
    while start <= last:
        following = (start.replace(day=28) + timedelta(days=4)).replace(
            day=1, hour=0, minute=0, second=0, microsecond=0
        )
        end = min(last, following - timedelta(hours=1))
        ranges.append((key_for(start), key_for(end)))
        start = following
    return ranges


def what_it_will_do(start: str, end: str, ranges: list[tuple[str, str]], settings) -> str:
    hours = int((parse_key(end) - parse_key(start)) / timedelta(hours=1)) + 1
    where = (
        f"lake and warehouse under {settings.data_dir}"
        if settings.target == "local"
        else f"gs://{settings.gcs_bucket} and BigQuery {settings.gcp_project}"
    )
    sources = ", ".join(spec.url for spec in settings.archive_sources)
    runs = (
        "one run of its hours, then one dbt build of its days"
        if len(ranges) == 1
        else f"{len(ranges)} runs of a month of hours at most, each followed by one dbt build "
        "of its days"
    )
    return (
        f"make run: {hours:,} hours, {start} .. {end}, from {sources} into the {settings.target} "
        f"target ({where}): {runs}."
    )


def models_selection(env: dict[str, str]) -> tuple[str, str | None]:
    """What a range's second run materialises, and what to say once about it."""
    from gharchive_assets.github.resource import TOKEN_VARIABLE

    if env.get(TOKEN_VARIABLE, "").strip():
        return f"{STAR_HISTORY} or {MODELS}", None
    return MODELS, (
        f"make run: {TOKEN_VARIABLE} is not set, so GitHub's star history is skipped "
        "(analytics.repo_stars_daily stays empty); set it to fetch the history of each "
        "day's top repositories."
    )


def materialize(selection: str, first: str, last: str, env: dict[str, str]) -> int:
    """One ``dagster asset materialize`` run over first..last; its exit status."""
    command = [
        str(Path(sys.executable).with_name("dagster")), "asset", "materialize",
        "-m", "gharchive_assets.definitions", "--select", selection,
        "--config-json", RUN_CONFIG, "--partition-range", f"{first}...{last}",
    ]  # fmt: skip
    # Not in the checkout: dagster would read its .env over the environment.
    cwd = dagster_working_directory(env)
    return subprocess.run(command, env=env, cwd=cwd, check=False).returncode


def run_hours(first: str, last: str, env: dict[str, str]) -> int:
    """The hours first..last, then the ones a failed hour held back, once."""
    since = time.time()
    status = materialize(HOURS, first, last, env)
    if status:
        from gharchive_assets.reporting import run_summary
        from gharchive_assets.reporting.held_back import held_back_ranges

        facts = run_summary.latest_run_facts(since)
        for again_first, again_last in held_back_ranges(facts, first, last) if facts else []:
            print(
                f"make run: hours {again_first}...{again_last} did not fail but a failed hour "
                "held them back: running them again",
                flush=True,
            )
            materialize(HOURS, again_first, again_last, env)
    return status


def main(argv: list[str] | None = None) -> int:
    # Started from a script in the background, make run and its dagster runs
    # must still stop on SIGTERM (core/stop_signals.py).
    take_back_stop_signals()
    args = sys.argv[1:] if argv is None else argv
    if not args and os.environ.get("START") and os.environ.get("END"):
        args = [os.environ["START"], os.environ["END"]]
    if len(args) != 2:
        print("usage: python -m gharchive_assets.cli.make_run START END", file=sys.stderr)
        return 2
    start, end = args
    try:
        taken = apply_dotenv()
        settings = load_settings()
        partitions_start = partitions_start_for(start, end, settings.start)
    except (ValueError, SettingsError) as error:
        print(f"make run: {error}", file=sys.stderr)
        return 2
    env = {
        **os.environ,
        "GHARCHIVE_START": partitions_start,
        "GHARCHIVE_HOURS_PER_RUN": WHOLE_RANGE,
        "GHARCHIVE_DBT_LOG_DIR": os.environ.get("GHARCHIVE_DBT_LOG_DIR")
        or str(settings.data_dir / "logs"),
        "PYTHONWARNINGS": "ignore",
    }
    ranges = monthly_ranges(parse_key(start), parse_key(end))
    if taken:
        print(f"make run: from {settings_file()}: {', '.join(sorted(taken))}", flush=True)
    print(what_it_will_do(start, end, ranges, settings), flush=True)
    from gharchive_assets.warehouse.instance_sync import sync_at_start  # Dagster: after the plan

    sync_at_start(settings, lambda line: print(f"make run: {line}", flush=True))
    models, skipped = models_selection(env)
    if skipped:
        print(skipped, flush=True)
    since, began = time.time(), time.monotonic()
    # Beside the runs: free the pool slots of runs whose process is gone, and say
    # every 30 s what a run waits for, and for whom.
    watcher = subprocess.Popen(
        [sys.executable, "-m", "gharchive_assets.instance.pool_slots", "watch"], env=env
    )
    status = 0
    try:
        for number, (first, last) in enumerate(ranges, 1):
            if len(ranges) > 1:
                print(f"make run: run {number} of {len(ranges)}: {first} .. {last}", flush=True)
            status = run_hours(first, last, env) or status
            status = materialize(models, day_of(first), day_of(last), env) or status
    finally:
        stop(watcher, WATCHER_STOP_SECONDS)
    print(flush=True)
    os.environ.update(env)  # the summary reads the settings the runs had
    from gharchive_assets.reporting import run_summary  # dbt's imports: after the plan

    summary = ["--start", start, "--end", end, "--run-status", str(status), "--since", str(since)]
    run_summary.main([*summary, "--wall-seconds", f"{time.monotonic() - began:.1f}"])
    return status


def stop(process: subprocess.Popen, grace_seconds: float) -> None:
    """SIGTERM, then SIGKILL after ``grace_seconds``: a process that ignores
    SIGTERM (core/stop_signals.py says how one comes to) is not waited for
    forever."""
    process.terminate()
    try:
        process.wait(timeout=grace_seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


if __name__ == "__main__":
    sys.exit(main())
