"""Partition keys and the names derived from them: archive file names, lake paths.

A key ``YYYY-MM-DD-HH:00`` is the archive's hour label; the archive file for it
is ``YYYY-MM-DD-H.json.gz`` (hour not zero-padded). Plain Python, no Dagster.
"""

from __future__ import annotations

from datetime import UTC, datetime

KEY_FORMAT = "%Y-%m-%d-%H:%M"
ARCHIVE_FIRST_HOUR = "2011-02-12-00:00"


def parse_key(key: str) -> datetime:
    """The UTC start of the hour a partition key names."""
    try:
        hour = datetime.strptime(key, KEY_FORMAT)
    except ValueError:
        raise ValueError(
            f"{key!r} is not an hourly partition key; expected e.g. 2015-01-01-01:00"
        ) from None
    if hour.minute:
        raise ValueError(f"{key!r} is not on the hour")
    return hour.replace(tzinfo=UTC)


def key_for(hour: datetime) -> str:
    return hour.astimezone(UTC).strftime(KEY_FORMAT)


def archive_file_name(key: str) -> str:
    hour = parse_key(key)
    return f"{hour:%Y-%m-%d}-{hour.hour}.json.gz"


def raw_path(key: str, source: str | None = None) -> str:
    """The hour's archive file; with ``source``, another source's copy beside it
    (GHARCHIVE_SOURCES: the first source's file is at the CONTRACT's path)."""
    hour = parse_key(key)
    path = f"raw/{hour:%Y/%m/%d}/{archive_file_name(key)}"
    return path if source is None else path.removesuffix(".json.gz") + f".{source}.json.gz"


def source_record_path(key: str, source: str | None = None) -> str:
    """Beside the raw file: what the source said of it when it was downloaded."""
    return raw_path(key, source).removesuffix(".json.gz") + ".source.json"


def missing_marker_path(key: str) -> str:
    """Beside the raw file: the record that the source lost the hour for good."""
    return raw_path(key).removesuffix(".json.gz") + ".missing.json"


def clean_path(key: str) -> str:
    hour = parse_key(key)
    return f"clean/events/date={hour:%Y-%m-%d}/hour={hour:%H}/events.parquet"


def quarantine_path(key: str) -> str:
    hour = parse_key(key)
    return f"quarantine/{hour:%Y/%m/%d}/{hour:%Y-%m-%d}-{hour.hour}.jsonl"
