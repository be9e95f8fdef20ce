"""What ``make run`` prints at the end: hours done, rows loaded, top repositories,
and, when the run failed, what that leaves stale.

python -m gharchive_assets.reporting.run_summary --start 2015-01-01-00:00 --end 2015-01-01-02:00

It reads the warehouse (never creating one) and, after a failed run, the
Dagster instance in DAGSTER_HOME; it does not load the code location.
"""

import argparse
import sys
from datetime import timedelta

from gharchive_assets.contract.lake_paths import parse_key
from gharchive_assets.resources.duckdb_warehouse import WarehouseMissing
from gharchive_assets.resources.targets import warehouse_for
from gharchive_assets.settings import load_settings


def summarise(warehouse, start_key: str, end_key: str, top: int = 5) -> str:
    start = parse_key(start_key).replace(tzinfo=None)
    end = parse_key(end_key).replace(tzinfo=None) + timedelta(hours=1)
    expected_hours = int((end - start) / timedelta(hours=1))
    window = [start, end, *warehouse.created_at_bounds(start, end)]
    hours, rows = warehouse.query(
        f"select count(*), coalesce(sum(rows), 0) from {warehouse.loaded_hours_table} "
        "where archive_hour >= ? and archive_hour < ?",
        window[:2],
    )[0]
    distinct_events = warehouse.query(
        f"select count(distinct id) from {warehouse.events_without_payload_table} "
        "where archive_hour >= ? and archive_hour < ? and created_at >= ? and created_at < ?",
        window,
    )[0][0]
    repos = warehouse.query(
        f"select repo_name, count(distinct id) as events from {warehouse.events_without_payload_table} "
        "where archive_hour >= ? and archive_hour < ? and created_at >= ? and created_at < ? "
        "and repo_name is not null "
        "group by repo_name order by events desc, repo_name limit ?",
        [*window, top],
    )
    lines = [
        f"hours {start_key} .. {end_key}: {hours} of {expected_hours} loaded",
        f"rows loaded: {rows:,} ({distinct_events:,} distinct events)",
        "top repositories by events:",
        *(f"  {events:>8,}  {name}" for name, events in repos),
    ]
    return "\n".join(lines)


STEPS_OF_HOURS = ("raw_archive_hour", "clean_events_hour", "gharchive__events")
DBT_STEP = "analytics_models"


def what_failed(failed_steps: set[str], exit_status: int) -> list[str]:
    """Lines saying what a failed run leaves stale, from its failed steps."""
    lines = [f"the run FAILED (exit status {exit_status}); its errors are above."]
    if DBT_STEP in failed_steps:
        lines.append(
            "dbt failed: the marts (analytics.*) do not include this run's hours yet, though "
            "the rows below are in gharchive.events; fix what dbt reported, then run again."
        )
    hour_steps = sorted(failed_steps & set(STEPS_OF_HOURS))
    if hour_steps:
        lines.append(
            f"some hours failed ({', '.join(hour_steps)}): nothing of a failed hour reached "
            "the warehouse or the marts; the failure names them and what to do."
        )
    if not failed_steps:
        lines.append("no step reported a failure: the run was stopped or could not start.")
    return lines


def failed_steps_of_latest_run() -> set[str]:
    """The steps that failed in the newest run of the instance (DAGSTER_HOME)."""
    from dagster import DagsterEventType, DagsterInstance

    with DagsterInstance.get() as instance:
        runs = instance.get_runs(limit=1)
        if not runs:
            return set()
        return {
            record.dagster_event.step_key
            for record in instance.all_logs(runs[0].run_id, of_type=DagsterEventType.STEP_FAILURE)
            if record.dagster_event and record.dagster_event.step_key
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gharchive_assets.reporting.run_summary")
    parser.add_argument("--start", required=True, help="first partition key, e.g. 2015-01-01-00:00")
    parser.add_argument("--end", required=True, help="last partition key (inclusive)")
    parser.add_argument(
        "--run-status", type=int, default=0, help="the exit status of the run just made"
    )
    args = parser.parse_args(argv)
    if args.run_status:
        try:
            failed = failed_steps_of_latest_run()
        except Exception as error:  # the summary must still print
            print(f"(could not read the Dagster instance: {error})")
            failed = set()
        print("\n".join(what_failed(failed, args.run_status)))
    warehouse = warehouse_for(load_settings())
    try:
        print(summarise(warehouse, args.start, args.end))
    except WarehouseMissing as error:
        print(f"no summary: nothing is loaded ({error})")
        return 1
    except Exception as error:
        print(f"no summary: the warehouse could not be read ({error})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
