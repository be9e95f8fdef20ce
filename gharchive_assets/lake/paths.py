"""Where an hour's files are in the lake (CONTRACT §4), the same locally and in GCS.

Every path is relative to the lake's root and made from an ``ArchiveHour``.
"""

from __future__ import annotations

from gharchive_assets.contract.archive_hour import ArchiveHour


def raw_path(hour: ArchiveHour, source: str | None = None) -> str:
    """The hour's archive file; with ``source``, another source's copy beside it
    (GHARCHIVE_SOURCES: the first source's file is at the CONTRACT's path)."""
    path = f"raw/{hour.start:%Y/%m/%d}/{hour.file_name}"
    return path if source is None else path.removesuffix(".json.gz") + f".{source}.json.gz"


def source_record_path(hour: ArchiveHour, source: str | None = None) -> str:
    """Beside the raw file: what the source said of it when it was downloaded."""
    return raw_path(hour, source).removesuffix(".json.gz") + ".source.json"


def missing_marker_path(hour: ArchiveHour) -> str:
    """Beside the raw file: the record that the source lost the hour for good."""
    return raw_path(hour).removesuffix(".json.gz") + ".missing.json"


def clean_path(hour: ArchiveHour) -> str:
    return f"clean/events/date={hour.start:%Y-%m-%d}/hour={hour.start:%H}/events.parquet"


def quarantine_path(hour: ArchiveHour) -> str:
    return f"quarantine/{hour.start:%Y/%m/%d}/{hour.start:%Y-%m-%d}-{hour.start.hour}.jsonl"


def star_history_state_path(repo_id: int) -> str:
    """What GitHub last said of a repository's star history: its pages, their
    ETags, when it was asked, and whether the repository is gone or blocked."""
    return f"github/stargazers_history/repos/{repo_id}.json"


def star_history_rows_path(day: str) -> str:
    """The rows a day's run of the star-history asset loads into the warehouse."""
    return f"github/stargazers_history/loads/{day}.parquet"
