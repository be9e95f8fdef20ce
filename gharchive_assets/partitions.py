"""The hourly partitions shared by every hourly asset, and the daily report's days."""

from __future__ import annotations

import dagster as dg

from gharchive_assets.lake_paths import ARCHIVE_FIRST_HOUR, KEY_FORMAT, parse_key


def hourly_partitions(start: str) -> dg.HourlyPartitionsDefinition:
    """Hourly partitions from ``start`` (GHARCHIVE_START), keys like 2015-01-01-01:00, UTC."""
    first = parse_key(start)
    if first < parse_key(ARCHIVE_FIRST_HOUR):
        raise ValueError(f"GHARCHIVE_START {start!r} is before the archive's first hour")
    return dg.HourlyPartitionsDefinition(start_date=start, fmt=KEY_FORMAT, timezone="UTC")


def daily_partitions(start: str) -> dg.DailyPartitionsDefinition:
    """UTC days from the day of ``start``, keys like 2015-01-01: the daily report's."""
    return dg.DailyPartitionsDefinition(
        start_date=parse_key(start).strftime("%Y-%m-%d"), timezone="UTC"
    )


def backfill_policy(hours_per_run: int | None) -> dg.BackfillPolicy:
    """One run for a whole range (what the CLI's --partition-range needs), or runs of
    ``hours_per_run`` hours, so a failed hour holds back only its own batch."""
    if hours_per_run is None:
        return dg.BackfillPolicy.single_run()
    return dg.BackfillPolicy.multi_run(max_partitions_per_run=hours_per_run)
