"""What ``make run`` prints at the end: hours done, rows loaded, top repositories,
and, when the run failed, what that leaves stale.

python -m gharchive_assets.reporting.run_summary --start 2015-01-01-00:00 --end 2015-01-01-02:00

It reads the warehouse (never creating one) and, after a failed run, the
Dagster instance in DAGSTER_HOME; it does not load the code location.
"""

import argparse
import json
import os
import sys
import textwrap
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from gharchive_assets.contract.archive_hour import parse_key
from gharchive_assets.core.console_log import plain_error
from gharchive_assets.core.settings import load_settings
from gharchive_assets.warehouse.duckdb_warehouse import WarehouseMissing
from gharchive_assets.warehouse.target import warehouse_for


def loaded(warehouse, start_key: str, end_key: str) -> tuple[int, int, int]:
    """The hours of ``start_key``..``end_key`` in the ledger: (hours, of which
    loaded empty, rows)."""
    start = parse_key(start_key).replace(tzinfo=None)
    end = parse_key(end_key).replace(tzinfo=None) + timedelta(hours=1)
    return warehouse.query(
        "select count(*), count(case when rows = 0 then 1 end), coalesce(sum(rows), 0) "
        f"from {warehouse.loaded_hours_table} where archive_hour >= ? and archive_hour < ?",
        [start, end],
    )[0]


def summarise(warehouse, start_key: str, end_key: str, top: int = 5) -> str:
    start = parse_key(start_key).replace(tzinfo=None)
    end = parse_key(end_key).replace(tzinfo=None) + timedelta(hours=1)
    expected_hours = int((end - start) / timedelta(hours=1))
    window = [start, end, *warehouse.created_at_bounds(start, end)]
    hours, empty, rows = loaded(warehouse, start_key, end_key)
    # An event is its id and its created_at: GitHub's ids repeat across years.
    event_key = "concat(id, '|', cast(created_at as string))"
    distinct_events = warehouse.query(
        f"select count(distinct {event_key}) from {warehouse.events_without_payload_table} "
        "where archive_hour >= ? and archive_hour < ? and created_at >= ? and created_at < ?",
        window,
    )[0][0]
    repos = warehouse.query(
        f"select repo_name, count(distinct {event_key}) as events "
        f"from {warehouse.events_without_payload_table} "
        "where archive_hour >= ? and archive_hour < ? and created_at >= ? and created_at < ? "
        "and repo_name is not null "
        "group by repo_name order by events desc, repo_name limit ?",
        [*window, top],
    )
    # An hour loaded with no rows is one the source lost (a missing-at-source marker).
    missing = f", {empty} missing at the source (loaded empty)" if empty else ""
    lines = [
        f"hours {start_key} .. {end_key}: {hours - empty} of {expected_hours} loaded{missing}",
        f"rows loaded: {rows:,} ({distinct_events:,} distinct events)",
        "top repositories by events:",
        *(f"  {events:>8,}  {name}" for name, events in repos),
    ]
    return "\n".join(lines)


DBT_STEP = "analytics_models"
STEP_NAMES = {
    "raw_archive_hour": "raw",
    "clean_events_hour": "clean",
    "gharchive__events": "events",
    DBT_STEP: "dbt",
}
STEPS_OF_HOURS = tuple(step for step in STEP_NAMES if step != DBT_STEP)
# The failed step's metadata: each failed hour and why (partitions.for_each_hour).
HOUR_FAILURES = "hour_failures"
LISTED_HOURS = 24


@dataclass
class HourFacts:
    """What the run did with one hour, from its steps' materialisations and failures."""

    rows: int | None = None
    missing_at_source: bool = False
    quarantined_lines: int = 0
    repaired_lines: int = 0
    dropped_sources: list[str] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)  # step, reason

    @property
    def state(self) -> str:
        if self.failures:
            _, reason = self.failures[0]
            return "not published yet" if reason.startswith("HourNotPublished") else "failed"
        if self.missing_at_source:
            return "missing at source"
        return "loaded" if self.rows is not None else "held back"

    def describe(self) -> str:
        if self.failures:
            step, reason = self.failures[0]
            return f"{STEP_NAMES.get(step, step)}: {plain_error(reason)}"
        if self.missing_at_source:
            return "lost by the source for good: recorded, loaded empty"
        if self.rows is None:
            return "not loaded: a step of the run failed before reaching it; run it again"
        details = [f"{self.rows:,} rows"]
        if self.quarantined_lines:
            details.append(f"{self.quarantined_lines:,} lines quarantined")
        if self.repaired_lines:
            details.append(f"{self.repaired_lines:,} repaired")
        if self.dropped_sources:
            details.append(f"left out: {', '.join(self.dropped_sources)}")
        return ", ".join(details)


@dataclass
class RunFacts:
    """What the newest run of the instance did, from its event log."""

    run_id: str
    status: str
    seconds: float | None
    step_seconds: dict[str, float] = field(default_factory=dict)
    failures: list[tuple[str, str]] = field(default_factory=list)  # step, message
    warnings: list[str] = field(default_factory=list)  # checks that did not pass
    hours: dict[str, HourFacts] = field(default_factory=dict)
    follow_ups: list[tuple[str, str]] = field(default_factory=list)
    """Later runs of the same `make run` (the models' builds, further months, hours
    a failed hour held back): id, status."""

    @property
    def quarantined_lines(self) -> int:
        """Over the hours, each counted once however often a run cleaned it."""
        return sum(hour.quarantined_lines for hour in self.hours.values())


def runs_facts(since: float | None = None) -> list[RunFacts]:
    """What the runs of the instance in DAGSTER_HOME created at or after ``since``
    (seconds since the epoch) did, oldest first; without ``since``, the newest run."""
    from dagster import DagsterInstance, RunsFilter

    with DagsterInstance.get() as instance:
        if since is None:
            runs = instance.get_runs(limit=1)
        else:
            created = datetime.fromtimestamp(since, UTC)
            runs = instance.get_runs(RunsFilter(created_after=created))[::-1]
        return [run_facts(instance, run) for run in runs]


def latest_run_facts(since: float | None = None) -> RunFacts | None:
    """The runs since ``since`` as one (see :func:`merged`), or the newest run; None
    when there is none."""
    facts = runs_facts(since)
    return merged(facts) if facts else None


def merged(facts: list[RunFacts]) -> RunFacts:
    """The first run, with what the later ones (the held-back hours run again)
    did to its hours: an hour they loaded is loaded; their failures are added."""
    first, *later = facts
    for run in later:
        first.follow_ups.append((run.run_id, run.status))
        for step, seconds in run.step_seconds.items():
            first.step_seconds[step] = first.step_seconds.get(step, 0.0) + seconds
        first.failures += run.failures
        first.warnings += run.warnings
        for key, hour in run.hours.items():
            if key in first.hours and hour.rows is None and not hour.missing_at_source:
                first.hours[key].failures += hour.failures
            else:
                first.hours[key] = hour
    return first


def run_facts(instance, run) -> RunFacts:
    """What one run did, from its event log."""
    from dagster import DagsterEventType

    stats = instance.get_run_stats(run.run_id)
    began = stats.start_time or stats.launch_time
    seconds = stats.end_time - began if stats.end_time and began else None
    facts = RunFacts(run.run_id, run.status.value, seconds)
    started: dict[str, float] = {}
    for record in instance.all_logs(run.run_id):
        event = record.dagster_event
        if event is None:
            continue
        step = event.step_key or ""
        if event.event_type == DagsterEventType.STEP_START:
            started[step] = record.timestamp
        elif event.event_type in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
            if step in started:
                facts.step_seconds[step] = record.timestamp - started[step]
            if event.event_type == DagsterEventType.STEP_FAILURE:
                error = event.event_specific_data.error
                facts.failures.append((step, error.message if error else "failed"))
                user = event.event_specific_data.user_failure_data
                reasons = user.metadata.get(HOUR_FAILURES) if user else None
                for key, reason in (reasons.value if reasons else {}).items():
                    facts.hours.setdefault(key, HourFacts()).failures.append((step, reason))
        elif event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            check = event.event_specific_data
            if not check.passed:
                facts.warnings.append(_check_line(check))
        elif event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
            materialization = event.event_specific_data.materialization
            metadata = materialization.metadata
            if materialization.partition and step in STEPS_OF_HOURS:  # not the models' days
                hour = facts.hours.setdefault(materialization.partition, HourFacts())
                fold_materialization(hour, step, metadata)
    return facts


def fold_materialization(hour: HourFacts, step: str, metadata) -> None:
    """What one step's materialisation of an hour says about it."""
    value = {name: getattr(entry, "value", entry) for name, entry in metadata.items()}
    if value.get("missing_at_source"):
        hour.missing_at_source = True
    if step == "clean_events_hour":
        hour.quarantined_lines = value.get("quarantined_lines", 0)
        hour.repaired_lines = value.get("repaired_lines", 0)
        hour.dropped_sources = sorted(value.get("dropped_sources") or {})
    elif step == "gharchive__events":
        hour.rows = value.get("rows")


def describe_hours(hours: dict[str, HourFacts], limit: int = LISTED_HOURS) -> list[str]:
    """A line per hour of the run (the hours that did not load first, when many)."""
    if not hours:
        return []
    counts = Counter(hour.state for hour in hours.values())
    order = ["loaded", "missing at source", "not published yet", "failed", "held back"]
    lines = ["hours of this run: " + ", ".join(f"{counts[s]} {s}" for s in order if counts[s])]
    keys = sorted(hours)
    if len(keys) > limit:
        keys = [k for k in keys if hours[k].state != "loaded"][:limit]
    for key in keys:
        hour = hours[key]
        lines.append(f"  {key}  {hour.state:<18} {_shorten(hour.describe(), 110)}")
    if len(keys) < len(hours):
        lines.append(f"  ... {len(hours) - len(keys)} more hours (see the run in the UI)")
    return lines


def _check_line(check) -> str:
    """A check that did not pass, on one line: its asset, name and why."""
    why = getattr(check, "description", None) or ""
    if not why:
        for value in check.metadata.values():
            if isinstance(value.value, dict) and value.value:
                why = json.dumps(value.value)[:120]
                break
    return f"{check.asset_key.to_user_string()} {check.check_name}: {why}".strip()


def describe_run(facts: RunFacts, wall_seconds: float | None = None) -> list[str]:
    # Steps in the order they finished, which is the graph's order (summed over runs).
    timing = ", ".join(
        f"{STEP_NAMES.get(step, step)} {seconds:.1f} s"
        for step, seconds in facts.step_seconds.items()
    )
    total = f" in {facts.seconds:.1f} s" if facts.seconds is not None else ""
    lines = [f"run {facts.run_id[:8]} {facts.status}{total}"]
    if facts.follow_ups:
        runs = ", ".join(f"{run_id[:8]} {status}" for run_id, status in facts.follow_ups[:6])
        more = f" and {len(facts.follow_ups) - 6} more" if len(facts.follow_ups) > 6 else ""
        lines.append(f"then {runs}{more}")
    if timing:
        lines.append(f"steps: {timing}")
    if wall_seconds:
        dbt = facts.step_seconds.get(DBT_STEP, 0.0)
        lines.append(
            f"wall time: {wall_seconds:.1f} s, of which dbt {dbt:.1f} s ({dbt / wall_seconds:.0%})"
        )
    lines.append(f"quarantined lines: {facts.quarantined_lines:,}")
    lines += describe_hours(facts.hours)
    if facts.warnings:
        lines.append(f"check warnings: {len(facts.warnings)}")
        lines += [f"  {_shorten(line)}" for line in facts.warnings[:8]]
        if len(facts.warnings) > 8:
            lines.append(f"  ... and {len(facts.warnings) - 8} more (see the run in the UI)")
    else:
        lines.append("check warnings: none")
    return lines


def where_things_are(settings, facts: RunFacts | None) -> list[str]:
    lines = ["where things are:"]
    if settings.target == "local":
        lines += [f"  lake       {settings.lake_root}", f"  warehouse  {settings.warehouse_path}"]
    else:
        lines += [
            f"  lake       gs://{settings.gcs_bucket}",
            f"  warehouse  BigQuery {settings.gcp_project}.{settings.bq_dataset}",
        ]
    run_ids = [facts.run_id, *(run_id for run_id, _ in facts.follow_ups)] if facts else []
    logs = [settings.dbt_log_path(run_id) for run_id in run_ids]
    lines += [f"  dbt's log  {log}" for log in logs if log and log.exists()]
    home = os.environ.get("DAGSTER_HOME", "")
    run = f"/runs/{facts.run_id}" if facts else ""
    lines += [
        f"  Dagster    DAGSTER_HOME={home}: `make dev`, then http://127.0.0.1:3000{run}",
        "  dashboard  `make dashboard`, then http://127.0.0.1:3001",
    ]
    return lines


def what_failed(facts: RunFacts | None, exit_status: int, rows: int | None = None) -> list[str]:
    """What a failed run leaves stale, then why each step failed: the last
    lines a person reads say what to do. ``rows``: the range's rows in the
    warehouse (None: unknown)."""
    failed_steps = {step for step, _ in facts.failures} if facts else set()
    lines = [f"the run FAILED (exit status {exit_status})."]
    if DBT_STEP in failed_steps:
        kept = (
            "no rows of these hours are in gharchive.events either"
            if rows == 0
            else "the rows above are in gharchive.events"
        )
        lines.append(
            f"dbt failed: the marts (analytics.*) do not include this run's hours yet, and "
            f"{kept}; fix what dbt reported, then run again."
        )
    hour_steps = sorted(failed_steps & set(STEPS_OF_HOURS))
    if hour_steps:
        lines.append(
            "some hours failed: nothing of a failed hour reached the warehouse or the marts. "
            "Run again once the cause is fixed (hours already loaded are kept)."
        )
    if not failed_steps:
        lines.append("no step reported a failure: the run was stopped or could not start.")
    for step, message in (facts.failures if facts else [])[:3]:
        lines.append(f"why ({STEP_NAMES.get(step, step)}):")
        lines += textwrap.wrap(
            " ".join(plain_error(message).split())[:600],
            100,
            initial_indent="  ",
            subsequent_indent="  ",
            break_on_hyphens=False,
        )
    return lines


def _shorten(text: str, limit: int = 150) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gharchive_assets.reporting.run_summary")
    parser.add_argument("--start", required=True, help="first partition key, e.g. 2015-01-01-00:00")
    parser.add_argument("--end", required=True, help="last partition key (inclusive)")
    parser.add_argument(
        "--run-status", type=int, default=0, help="the exit status of the run just made"
    )
    parser.add_argument(
        "--since", type=float, help="summarise the runs created since (seconds since the epoch)"
    )
    parser.add_argument(
        "--wall-seconds", type=float, help="how long `make run` took (for the dbt share)"
    )
    args = parser.parse_args(argv)
    settings = load_settings()
    try:
        facts = latest_run_facts(args.since)
    except Exception as error:  # the summary must still print
        print(f"(could not read the Dagster instance: {error})")
        facts = None
    if facts:
        print("\n".join(describe_run(facts, args.wall_seconds)))
    status, rows = 0, None
    try:
        warehouse = warehouse_for(settings)
        print(summarise(warehouse, args.start, args.end))
        rows = loaded(warehouse, args.start, args.end)[2]
    except WarehouseMissing:
        print(f"hours {args.start} .. {args.end}: nothing is loaded yet")
        status, rows = 1, 0
    except Exception as error:
        print(f"no figures: the warehouse could not be read ({error})")
        status = 1
    print("\n".join(where_things_are(settings, facts)))
    if args.run_status:
        print("\n".join(what_failed(facts, args.run_status, rows)))
    return status


if __name__ == "__main__":
    sys.exit(main())
