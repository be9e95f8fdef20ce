"""The project's configuration, read from the environment in one place.

Nothing reads ``os.environ`` at import time: :func:`load_settings` is called
when definitions are built, and ``definitions.build_definitions`` hands the
result to every stage of ``defs/`` (tests hand their own).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from gharchive_assets.contract.archive_hour import (
    ARCHIVE_FIRST_HOUR,
    MAX_LINE_BYTES,
    ArchiveHour,
    parse_key,
)

DEFAULT_BASE_URL = "https://data.gharchive.org"
DEFAULT_START = "2015-01-01-00:00"
# A backfill's run covers a day of hours: Dagster writes an event per asset and
# partition before a run exists (about 8 ms each on the local instance), so a
# year as one run would wait minutes to start. `all`: a whole range in one run.
DEFAULT_HOURS_PER_RUN = 24
WHOLE_RANGE = "all"
# Each target's lake and warehouse, as Dagster shows them (asset kinds).
TARGET_KINDS = {"local": ("file", "duckdb"), "gcp": ("gcs", "bigquery")}
TARGETS = tuple(TARGET_KINDS)
DEFAULT_GITHUB_API_URL = "https://api.github.com"
# The repositories of a day whose star history is asked of GitHub: the top
# this many by archive stars and the top this many by events.
DEFAULT_STAR_HISTORY_REPOS = 10


class SettingsError(ValueError):
    """A variable of the environment is missing or malformed."""


@dataclass(frozen=True)
class SourceSpec:
    """One archive source: a name (it names its files in the lake), where its
    hour files are, and the first hour it serves (None: all of them)."""

    name: str
    url: str
    first_key: str | None = None

    def serves(self, hour: ArchiveHour) -> bool:
        return self.first_key is None or hour.start >= parse_key(self.first_key)


SOURCE_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")
HOUR_KEY = re.compile(r"\d{4}-\d{2}-\d{2}-\d{2}:\d{2}")
PASSWORD_IN_URL = re.compile(r"(://[^/:@\s]*:)[^@/\s]*@")


@dataclass(frozen=True)
class Settings:
    base_url: str = DEFAULT_BASE_URL
    start: str = DEFAULT_START
    target: str = "local"
    data_dir: Path = field(default_factory=lambda: Path("data").resolve())
    max_quarantine_fraction: float = 0.01
    max_line_bytes: int = MAX_LINE_BYTES
    """GHARCHIVE_MAX_LINE_BYTES: a longer archive line is quarantined unread."""
    sensor_lookback_hours: int = 48
    http_backoff_seconds: float = 2.0
    missing_after_hours: int = 72
    hours_per_run: int | None = DEFAULT_HOURS_PER_RUN
    """GHARCHIVE_HOURS_PER_RUN: the hours of a backfill's run (a day by default);
    None (``all``): a whole range in one run, what the CLI's --partition-range needs."""
    gcp_project: str | None = None
    gcs_bucket: str | None = None
    bq_dataset: str = "gharchive"
    bq_analytics_dataset: str = "analytics"
    bq_location: str = "US"
    bq_api_endpoint: str | None = None
    sources: tuple[SourceSpec, ...] = ()
    """GHARCHIVE_SOURCES; empty: GHARCHIVE_BASE_URL alone (see ``archive_sources``)."""
    github_api_url: str = DEFAULT_GITHUB_API_URL
    """GITHUB_API_URL: where the star-history asset asks (a loopback server in tests).
    The token (GITHUB_TOKEN) is read when a run asks, never kept in settings."""
    star_history_repos: int = DEFAULT_STAR_HISTORY_REPOS
    """GHARCHIVE_STAR_HISTORY_REPOS: a day's top repositories by archive stars,
    and as many by events, whose star history is fetched."""
    dbt_log_dir: Path | None = None
    """GHARCHIVE_DBT_LOG_DIR: dbt's line per model and test goes to a file there
    (``make run`` sets it); unset, to standard output (the run's compute log)."""

    def dbt_log_path(self, run_id: str) -> Path | None:
        """Where a run's dbt output goes, when not to standard output."""
        return self.dbt_log_dir / f"dbt-{run_id}.log" if self.dbt_log_dir else None

    @property
    def archive_sources(self) -> tuple[SourceSpec, ...]:
        """Every source, the first one's files at the CONTRACT's raw/ paths."""
        return self.sources or (SourceSpec("gharchive", self.base_url),)

    def sources_serving(self, hour: ArchiveHour) -> list[tuple[SourceSpec, str | None]]:
        """The sources that serve ``hour``, each with the name its lake file
        carries (None: the first source's, at the CONTRACT's raw/ path)."""
        return [
            (spec, None if index == 0 else spec.name)
            for index, spec in enumerate(self.archive_sources)
            if spec.serves(hour)
        ]

    @property
    def dbt_target(self) -> str:
        """The output of dbt_project/profiles.yml: local, gcp, or gcp_emulator (tests)."""
        if self.target == "gcp" and self.bq_api_endpoint:
            return "gcp_emulator"
        return self.target

    @property
    def lake_kind(self) -> str:
        return TARGET_KINDS[self.target][0]

    @property
    def warehouse_kind(self) -> str:
        return TARGET_KINDS[self.target][1]

    @property
    def warehouse_path(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    @property
    def lake_root(self) -> Path:
        return self.data_dir / "lake"


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from ``environ`` (default: the process environment), validated."""
    env = os.environ if environ is None else environ

    def get(name: str, default: str | None = None) -> str | None:
        value = env.get(name, "").strip()
        return value or default

    target = get("GHARCHIVE_TARGET", "local")
    if target not in TARGETS:
        raise SettingsError(f"GHARCHIVE_TARGET must be one of {TARGETS}, not {target!r}")
    base_url = get("GHARCHIVE_BASE_URL", DEFAULT_BASE_URL).rstrip("/")
    if problem := credentials_problem(base_url):
        raise SettingsError(f"GHARCHIVE_BASE_URL: {problem}")
    if not base_url.startswith(("http://", "https://", "file://")):
        raise SettingsError(
            f"GHARCHIVE_BASE_URL must start with http://, https:// or file://, not {base_url!r}"
        )
    if problem := file_url_problem(base_url):
        raise SettingsError(f"GHARCHIVE_BASE_URL: {problem}")
    github_api_url = get("GITHUB_API_URL", DEFAULT_GITHUB_API_URL).rstrip("/")
    if problem := credentials_problem(github_api_url):
        raise SettingsError(f"GITHUB_API_URL: {problem} (the token is GITHUB_TOKEN)")
    if not github_api_url.startswith(("http://", "https://")):
        raise SettingsError(
            f"GITHUB_API_URL must start with http:// or https://, not {github_api_url!r}"
        )

    def number(name: str, default: str, low: float, high: float, whole: bool = False):
        text = get(name, default)
        try:
            value = int(text) if whole else float(text)
        except (TypeError, ValueError):
            value = None
        if value is None or not low <= value <= high:
            kind = "a whole number" if whole else "a number"
            raise SettingsError(f"{name} must be {kind} in {low:g}..{high:g}, not {text!r}")
        return value

    unbounded = float("inf")
    per_run = (get("GHARCHIVE_HOURS_PER_RUN") or "").strip().lower()
    sources = _sources(get("GHARCHIVE_SOURCES"))
    settings = Settings(
        base_url=sources[0].url if sources else base_url,
        sources=sources,
        max_quarantine_fraction=number("GHARCHIVE_MAX_QUARANTINE_FRACTION", "0.01", 0, 1),
        max_line_bytes=number(
            "GHARCHIVE_MAX_LINE_BYTES", str(MAX_LINE_BYTES), 1 << 20, 1 << 31, True
        ),
        http_backoff_seconds=number("GHARCHIVE_HTTP_BACKOFF_SECONDS", "2", 0, unbounded),
        sensor_lookback_hours=number("GHARCHIVE_SENSOR_LOOKBACK_HOURS", "48", 1, unbounded, True),
        missing_after_hours=number("GHARCHIVE_MISSING_AFTER_HOURS", "72", 0, unbounded, True),
        hours_per_run=(
            None
            if per_run == WHOLE_RANGE
            else number("GHARCHIVE_HOURS_PER_RUN", str(DEFAULT_HOURS_PER_RUN), 1, unbounded, True)
        ),
        start=_hour_key("GHARCHIVE_START", get("GHARCHIVE_START", DEFAULT_START)),
        target=target,
        data_dir=Path(get("GHARCHIVE_DATA_DIR", "data")).expanduser().resolve(),
        gcp_project=get("GHARCHIVE_GCP_PROJECT"),
        gcs_bucket=get("GHARCHIVE_GCS_BUCKET"),
        bq_dataset=get("GHARCHIVE_BQ_DATASET", "gharchive"),
        bq_analytics_dataset=get("GHARCHIVE_BQ_ANALYTICS_DATASET", "analytics"),
        bq_location=get("GHARCHIVE_BQ_LOCATION", "US"),
        bq_api_endpoint=get("GHARCHIVE_BQ_API_ENDPOINT"),
        github_api_url=github_api_url,
        star_history_repos=number(
            "GHARCHIVE_STAR_HISTORY_REPOS", str(DEFAULT_STAR_HISTORY_REPOS), 0, 1000, True
        ),
        dbt_log_dir=(
            Path(log_dir).expanduser().resolve()
            if (log_dir := get("GHARCHIVE_DBT_LOG_DIR"))
            else None
        ),
    )
    if target == "gcp":
        missing = [
            name
            for name, value in (
                ("GHARCHIVE_GCP_PROJECT", settings.gcp_project),
                ("GHARCHIVE_GCS_BUCKET", settings.gcs_bucket),
            )
            if not value
        ]
        if missing:
            raise SettingsError(
                f"GHARCHIVE_TARGET=gcp needs {', '.join(missing)}: "
                "set them (terraform output gives them) or use GHARCHIVE_TARGET=local"
            )
    return settings


def redacted(text: str) -> str:
    """``text`` with the password of every URL in it replaced by ``***``: what a
    message may show."""
    return PASSWORD_IN_URL.sub(r"\1***@", text)


def credentials_problem(url: str) -> str | None:
    """Why a URL carrying a user or a password is refused (None when it has none):
    a setting is printed in messages, so it must hold no secret."""
    try:
        parts = urlparse(url)
        has_user = parts.username is not None or parts.password is not None
    except ValueError:
        return None
    if not has_user:
        return None
    return (
        f"{redacted(url)} carries credentials; put none in a URL (it is printed in "
        "messages and logs): serve the archive without them, or from a local mirror"
    )


def file_url_problem(url: str) -> str | None:
    """Why a file:// URL names no local directory (None when it does): with two
    slashes, ``file://tmp/x`` is the directory /x on a host called tmp."""
    if not url.startswith("file://"):
        return None
    host = urlparse(url).netloc
    if host in ("", "localhost"):
        return None
    return (
        f"{url} names the host {host!r}, not a local directory: a local mirror's URL "
        f"has three slashes, file:///{url[len('file://') :]}"
    )


def _hour_key(name: str, value: str) -> str:
    """``value`` when it is an hourly partition key within the archive."""
    try:
        hour = parse_key(value)
    except ValueError:
        hour = None
    if hour is None or hour < parse_key(ARCHIVE_FIRST_HOUR):
        raise SettingsError(
            f"{name} must be an hour like 2015-01-01-00:00, at or after the archive's first "
            f"hour {ARCHIVE_FIRST_HOUR}, not {value!r}"
        )
    return value


def _sources(text: str | None) -> tuple[SourceSpec, ...]:
    """GHARCHIVE_SOURCES: ``name=URL[@FIRST_KEY],…``."""
    if not text:
        return ()
    sources = []
    for entry in text.split(","):
        name, equals, rest = entry.strip().partition("=")
        url, at, first_key = rest.strip().rpartition("@") if "@" in rest else (rest, "", "")
        if at and not HOUR_KEY.fullmatch(first_key.strip()) and "/" in first_key:
            url, at, first_key = rest.strip(), "", ""  # an @ inside the URL, not @FIRST_KEY
        url = url.strip().rstrip("/")
        problem = None
        if credentials := credentials_problem(url):
            raise SettingsError(f"GHARCHIVE_SOURCES: {credentials}")
        if not equals or not SOURCE_NAME.fullmatch(name.strip()):
            problem = "a name of lower-case letters, digits, - and _ before '='"
        elif not url.startswith(("http://", "https://", "file://")):
            problem = "a URL starting with http://, https:// or file://"
        elif file_problem := file_url_problem(url):
            problem = f"a local directory ({file_problem})"
        elif name.strip() in {s.name for s in sources}:
            problem = "a name used once"
        if problem is None and at:
            try:
                parse_key(first_key.strip())
            except ValueError:
                problem = "@FIRST_KEY as an hour key, e.g. @2026-09-06-00:00"
        if problem:
            raise SettingsError(
                f"GHARCHIVE_SOURCES must be name=URL[@FIRST_KEY],… with {problem}; "
                f"{redacted(entry.strip())!r} is not"
            )
        sources.append(SourceSpec(name.strip(), url, first_key.strip() if at else None))
    return tuple(sources)
