"""What ``make run`` prints at the end: hours done, rows loaded, top repositories.

python -m gharchive_assets.reporting.run_summary --start 2015-01-01-00:00 --end 2015-01-01-02:00
"""

import argparse
import sys
from datetime import timedelta

from gharchive_assets.contract.lake_paths import parse_key
from gharchive_assets.resources.targets import warehouse_for
from gharchive_assets.settings import load_settings


def summarise(warehouse, start_key: str, end_key: str, top: int = 5) -> str:
    start = parse_key(start_key).replace(tzinfo=None)
    end = parse_key(end_key).replace(tzinfo=None) + timedelta(hours=1)
    expected_hours = int((end - start) / timedelta(hours=1))
    window = [start, end]
    hours, rows = warehouse.query(
        f"select count(*), coalesce(sum(rows), 0) from {warehouse.loaded_hours_table} "
        "where archive_hour >= ? and archive_hour < ?",
        window,
    )[0]
    distinct_events = warehouse.query(
        f"select count(distinct id) from {warehouse.events_table} "
        "where archive_hour >= ? and archive_hour < ?",
        window,
    )[0][0]
    repos = warehouse.query(
        f"select repo_name, count(distinct id) as events from {warehouse.events_table} "
        "where archive_hour >= ? and archive_hour < ? and repo_name is not null "
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gharchive_assets.reporting.run_summary")
    parser.add_argument("--start", required=True, help="first partition key, e.g. 2015-01-01-00:00")
    parser.add_argument("--end", required=True, help="last partition key (inclusive)")
    args = parser.parse_args(argv)
    warehouse = warehouse_for(load_settings())
    try:
        print(summarise(warehouse, args.start, args.end))
    except Exception as error:
        print(f"no summary: the warehouse could not be read ({error})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
