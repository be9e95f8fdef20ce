"""One hour of GH Archive: the value every module passes, made once from a key.

A partition key ``YYYY-MM-DD-HH:00`` is the archive's label for an hour; its
file is ``YYYY-MM-DD-H.json.gz`` (hour not zero-padded). The assets turn the
key into an :class:`ArchiveHour` at the edge (``ArchiveHour.of(key)``) and
hand that on: the source asks for its file, the lake finds its paths, the
warehouse stores its start. Plain Python, no Dagster.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

KEY_FORMAT = "%Y-%m-%d-%H:%M"
ARCHIVE_FIRST_HOUR = "2011-02-12-00:00"
ONE_HOUR = timedelta(hours=1)
# The real archive's longest lines are tens of MB; a longer one is quarantined
# unread (GHARCHIVE_MAX_LINE_BYTES), so one hostile line cannot take the memory.
MAX_LINE_BYTES = 64 << 20


def parse_key(key: str) -> datetime:
    """The UTC start of the hour a partition key names; a clear error otherwise."""
    try:
        start = datetime.strptime(key, KEY_FORMAT)
    except (TypeError, ValueError):
        raise ValueError(
            f"{key!r} is not an hourly partition key; expected e.g. 2015-01-01-01:00"
        ) from None
    if start.minute:
        raise ValueError(f"{key!r} is not on the hour")
    return start.replace(tzinfo=UTC)


def key_for(moment: datetime) -> str:
    """The partition key of the hour starting at ``moment`` (any offset, read as UTC)."""
    return moment.astimezone(UTC).strftime(KEY_FORMAT)


@dataclass(frozen=True, order=True)
class ArchiveHour:
    """An archive hour: its UTC start, and what is named after it."""

    start: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None:
            raise ValueError(f"an archive hour starts at a UTC time, not {self.start!r}")
        if self.start.minute or self.start.second or self.start.microsecond:
            raise ValueError(f"{self.start.isoformat()} is not on the hour")

    @classmethod
    def of(cls, key: str) -> ArchiveHour:
        """The hour a partition key names (the edge: Dagster's keys come in here)."""
        return cls(parse_key(key))

    @classmethod
    def at(cls, moment: datetime) -> ArchiveHour:
        """The hour starting at ``moment``, which must be on the hour."""
        return cls(moment.astimezone(UTC))

    @property
    def key(self) -> str:
        """The partition key, e.g. ``2015-01-01-01:00``."""
        return self.start.strftime(KEY_FORMAT)

    @property
    def end(self) -> datetime:
        """The start of the next hour (the hour is ``[start, end)``)."""
        return self.start + ONE_HOUR

    @property
    def day(self) -> date:
        """The UTC day the hour belongs to."""
        return self.start.date()

    @property
    def naive_start(self) -> datetime:
        """The start as the warehouses store ``archive_hour`` (a naive UTC TIMESTAMP)."""
        return self.start.replace(tzinfo=None)

    @property
    def file_name(self) -> str:
        """The archive's file for the hour: ``YYYY-MM-DD-H.json.gz``."""
        return f"{self.start:%Y-%m-%d}-{self.start.hour}.json.gz"

    def shifted(self, hours: int) -> ArchiveHour:
        """The hour ``hours`` later (earlier when negative)."""
        return ArchiveHour(self.start + hours * ONE_HOUR)

    def __str__(self) -> str:
        return self.key


def latest_complete_hour(moment: datetime) -> datetime:
    """The start of the last hour that ended before ``moment`` (the partitions' last)."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
