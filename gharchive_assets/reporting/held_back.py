"""The hours a failed hour held back: the other hours of its run, to run again.

Dagster materialises a ranged step's partitions all together or not at all, so
when the clean step fails for one hour of a run, the warehouse step is skipped
for every hour of it. ``make run`` then runs the hours that did not fail again,
as contiguous ranges (their raw and clean files are reused):

python -m gharchive_assets.reporting.held_back --since T START END   (a range a line)
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta

from gharchive_assets.contract.archive_hour import key_for, parse_key
from gharchive_assets.reporting.run_summary import STEPS_OF_HOURS, RunFacts, latest_run_facts

# More ranges than this are left to the user: the summary names the failed hours.
MAX_RANGES = 24


def held_back_ranges(facts: RunFacts, start: str, end: str) -> list[tuple[str, str]]:
    """Contiguous ranges of the hours start..end that neither failed nor loaded,
    when the run's hour steps failed for some of its hours (not for all)."""
    if not any(step in STEPS_OF_HOURS for step, _ in facts.failures):
        return []
    ranges: list[tuple[str, str]] = []
    hour, last = parse_key(start), parse_key(end)
    run_start = None
    while hour <= last:
        key = key_for(hour)
        of_hour = facts.hours.get(key)
        # Neither failed itself nor loaded: a failed step held it back.
        held = of_hour is None or (not of_hour.failures and of_hour.rows is None)
        if held and run_start is None:
            run_start = key
        if not held and run_start is not None:
            ranges.append((run_start, key_for(hour - timedelta(hours=1))))
            run_start = None
        hour += timedelta(hours=1)
    if run_start is not None:
        ranges.append((run_start, end))
    return ranges


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gharchive_assets.reporting.held_back")
    parser.add_argument("start")
    parser.add_argument("end")
    parser.add_argument("--since", type=float, required=True)
    args = parser.parse_args(argv)
    facts = latest_run_facts(args.since)
    ranges = held_back_ranges(facts, args.start, args.end) if facts else []
    if len(ranges) > MAX_RANGES:
        print(
            f"make run: {len(ranges)} ranges of hours were held back by failed hours; "
            "run them again once the failures are mended",
            file=sys.stderr,
        )
        return 0
    for first, last in ranges:
        print(f"{first}...{last}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
