"""What ``make run`` is asked for: ``START..END`` checked, and the first hour of
the partitions that covers ``START``.

python -m gharchive_assets.cli.run_range START END   (prints the GHARCHIVE_START to use)
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from gharchive_assets.contract.archive_hour import (
    ARCHIVE_FIRST_HOUR,
    key_for,
    latest_complete_hour,
    parse_key,
)
from gharchive_assets.core.settings import SettingsError, load_settings


def partitions_start_for(
    start: str, end: str, configured_start: str, now: datetime | None = None
) -> str:
    """The partitions' first hour for a run of ``start..end`` (inclusive keys):
    ``configured_start`` (GHARCHIVE_START), widened to ``start`` when earlier.
    Raises ValueError, saying what to fix, for keys that make no run."""
    first, last = (_key("START", start), _key("END", end))
    if first > last:
        raise ValueError(
            f"START {start} is after END {end}: give the first hour as START and the "
            "last as END (both included)"
        )
    if first < parse_key(ARCHIVE_FIRST_HOUR):
        raise ValueError(f"START {start} is before the archive's first hour, {ARCHIVE_FIRST_HOUR}")
    latest = latest_complete_hour(now or datetime.now(UTC))
    if last > latest:
        raise ValueError(
            f"END {end} has not ended yet: the latest hour that can be loaded now is "
            f"{key_for(latest)} (GH Archive publishes an hour a few minutes after it ends)"
        )
    return start if first < parse_key(configured_start) else configured_start


def _key(name: str, value: str):
    try:
        return parse_key(value)
    except ValueError as error:
        raise ValueError(f"{name}: {error}") from None


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m gharchive_assets.cli.run_range START END", file=sys.stderr)
        return 2
    try:
        print(partitions_start_for(args[0], args[1], load_settings().start))
    except (ValueError, SettingsError) as error:
        print(f"make run: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
