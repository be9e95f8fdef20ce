"""The one hourly partitions definition shared by every hourly asset."""

from __future__ import annotations

import dagster as dg

from gharchive_assets.lake_paths import ARCHIVE_FIRST_HOUR, KEY_FORMAT, parse_key


def hourly_partitions(start: str) -> dg.HourlyPartitionsDefinition:
    """Hourly partitions from ``start`` (GHARCHIVE_START), keys like 2015-01-01-01:00, UTC."""
    first = parse_key(start)
    if first < parse_key(ARCHIVE_FIRST_HOUR):
        raise ValueError(f"GHARCHIVE_START {start!r} is before the archive's first hour")
    return dg.HourlyPartitionsDefinition(start_date=start, fmt=KEY_FORMAT, timezone="UTC")
