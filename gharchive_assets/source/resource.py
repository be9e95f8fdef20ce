"""Where archive hour files are read from: GH Archive over HTTP(S) or a file:// mirror."""

from __future__ import annotations

import hashlib
import os
import socket
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import formatdate
from pathlib import Path
from urllib.parse import unquote, urlparse

import dagster as dg
from pydantic import PrivateAttr

from gharchive_assets.contract.archive_hour import ArchiveHour
from gharchive_assets.core.settings import Settings, SourceSpec

CHUNK_SIZE = 1 << 20
# A long download says how far it is this often.
PROGRESS_EVERY_SECONDS = 30.0
# A download slower than this over a whole window is given up (and tried again):
# a 135 MB hour at this rate takes 45 minutes, a server dripping bytes never ends.
MIN_BYTES_PER_SECOND = 50_000
RATE_WINDOW_SECONDS = 60.0


class SourceError(RuntimeError):
    """The source could not serve an hour; worth retrying later."""


class HourNotPublished(SourceError):
    """The source has no file for the hour (HTTP 404, or no such file in the mirror)."""


class IncompleteDownload(SourceError):
    """Fewer bytes arrived than the source announced."""


class SlowDownload(SourceError):
    """The source sent less than ``MIN_BYTES_PER_SECOND`` over a whole window."""


class SourceUnavailable(SourceError):
    """The source serves none of the hours around this one: it is misconfigured
    (a typo in the URL, a mirror path without the files, an unmounted
    directory) or down. No hour of such a source is taken for lost."""


class SourceUnreachable(SourceUnavailable):
    """The source's host cannot be reached at all: its name does not resolve,
    it refuses the connection, or TLS fails. Tried once more, not four times."""


UNREACHABLE_TRIES = 2


# Hours around a 404'd one that a healthy source serves (GH Archive's losses
# come in runs of hours, rarely longer than a day).
NEIGHBOUR_HOURS = (-1, 1, -2, 2, -24, 24, -168, 168)


@dataclass(frozen=True)
class SourceFile:
    url: str
    size: int | None
    last_modified: str | None
    etag: str | None = None


@dataclass(frozen=True)
class Download:
    url: str
    size: int
    sha256: str
    last_modified: str | None
    seconds: float
    etag: str | None = None


def _open(url: str, timeout: float, method: str = "GET"):
    request = urllib.request.Request(
        url, method=method, headers={"User-Agent": "gharchive-assets/0.1"}
    )
    return urllib.request.urlopen(request, timeout=timeout)


class ArchiveSourceResource(dg.ConfigurableResource):
    """GH Archive, or a mirror with the same file names (``GHARCHIVE_BASE_URL``)."""

    base_url: str
    timeout_seconds: float = 60.0
    attempts: int = 4
    """Tries per download: 5xx, resets, timeouts and cut transfers are tried again."""
    backoff_seconds: float = 2.0
    """Wait before the second try; it doubles for each further one."""
    min_bytes_per_second: float = MIN_BYTES_PER_SECOND
    """A download slower than this over a whole ``rate_window_seconds`` is given up."""
    rate_window_seconds: float = RATE_WINDOW_SECONDS
    _served: dict = PrivateAttr(default_factory=dict)

    def url_for(self, hour: ArchiveHour) -> str:
        return f"{self.base_url.rstrip('/')}/{hour.file_name}"

    def _mirror_file(self, url: str) -> tuple[Path, os.stat_result]:
        """A ``file://`` mirror's file and its stat; the mirror's directory checked
        first (an unmounted mirror is not an unpublished hour)."""
        path = Path(unquote(urlparse(url).path))
        self._check_mirror_directory(path)
        if not path.is_file():
            raise HourNotPublished(f"{url} does not exist")
        return path, path.stat()

    def describe(self, hour: ArchiveHour) -> SourceFile:
        """What the source says about the hour's file, without downloading it:
        its size and, to tell a republished file, Last-Modified and ETag (a
        ``file://`` mirror gives the file's modification time)."""
        url = self.url_for(hour)
        if url.startswith("file://"):
            _, stat = self._mirror_file(url)
            return SourceFile(url, stat.st_size, *_file_validators(stat))
        try:
            with _open(url, self.timeout_seconds, method="HEAD") as response:
                length = response.headers.get("Content-Length")
                return SourceFile(
                    url,
                    int(length) if length else None,
                    response.headers.get("Last-Modified"),
                    response.headers.get("ETag"),
                )
        except urllib.error.HTTPError as error:
            raise _http_error(url, error) from None
        except OSError as error:
            raise self._connection_error(url, error) from error

    def _connection_error(self, url: str, error: OSError) -> SourceError:
        """What a failed connection means: unreachable (a name that does not resolve,
        a refused connection, TLS), or interrupted (worth the usual retries)."""
        reason = getattr(error, "reason", error)
        if isinstance(reason, socket.gaierror | ConnectionRefusedError | ssl.SSLError):
            return SourceUnreachable(
                f"{url} cannot be reached ({reason}); nothing was changed. {self._what_to_check()}"
            )
        return SourceError(f"{url}: download interrupted: {error}; {self._what_to_check()}")

    def confirm_answers_around(self, hour: ArchiveHour, others: Sequence[ArchiveHour] = ()) -> bool:
        """Whether a 404 for ``hour`` is about that hour alone. True: the source
        serves an hour around it (GH Archive's losses come in short runs), so an
        old hour is lost for good. False: it serves none around it, but one of
        ``others`` (the run's other hours): a partial mirror, which lacks this
        hour without saying anything of it. Raises :class:`SourceUnavailable` when
        it serves none of them: a misconfigured source, nothing is taken for lost.
        What the source answers is remembered for the life of this resource (a run)."""
        asked = []
        for offset in NEIGHBOUR_HOURS:
            if self._serves(hour.shifted(offset)):
                return True
            asked.append(hour.shifted(offset).file_name)
        if any(self._serves(other) for other in others if other != hour):
            return False
        raise SourceUnavailable(
            f"{self.url_for(hour)} is not there, and neither are the hours around it "
            f"({', '.join(asked)}) nor any other hour of this run: the source serves none of "
            f"them, so no hour is taken for lost and nothing was changed. {self._what_to_check()}"
        )

    def _serves(self, hour: ArchiveHour) -> bool:
        url = self.url_for(hour)  # by URL: copies for other sources share the dict
        if url not in self._served:
            try:
                self.describe(hour)
                self._served[url] = True
            except HourNotPublished:
                self._served[url] = False
        return self._served[url]

    def _what_to_check(self) -> str:
        if self.base_url.startswith("file://"):
            return (
                f"Check GHARCHIVE_BASE_URL ({self.base_url}): the directory must be a mounted "
                "mirror holding GH Archive's files (YYYY-MM-DD-H.json.gz)."
            )
        return (
            f"Check GHARCHIVE_BASE_URL ({self.base_url}): a typo, a mirror path without "
            "GH Archive's files (YYYY-MM-DD-H.json.gz), or no route to it; the default is "
            "https://data.gharchive.org, and file:///path reads a local mirror."
        )

    def _check_mirror_directory(self, path: Path) -> None:
        if not path.parent.is_dir():
            raise SourceUnavailable(
                f"{path.parent} is not a directory (an unmounted or mistyped mirror?); "
                f"nothing was changed. {self._what_to_check()}"
            )

    def download(
        self, hour: ArchiveHour, destination: Path, progress: Callable[[str], None] | None = None
    ) -> Download:
        """Stream the hour's file into ``destination``, hashing it on the way.

        Transient failures are tried again with exponential backoff; a source that
        cannot be reached (no such host, refused, TLS) only once more; a 404 is not
        (the hour is not published), nor is the last failure hidden.
        """
        for attempt in range(1, self.attempts + 1):
            try:
                return self._download_once(hour, destination, progress)
            except HourNotPublished:
                raise
            except SourceError as error:
                unreachable = isinstance(error, SourceUnreachable)
                if isinstance(error, SourceUnavailable) and not unreachable:
                    raise  # a misconfigured source: no try can mend it
                tries = UNREACHABLE_TRIES if unreachable else self.attempts
                if attempt >= tries:
                    raise type(error)(f"{error} (after {attempt} tries)") from error
                wait = self.backoff_seconds * 2 ** (attempt - 1)
                if progress:
                    progress(f"try {attempt} failed ({error}); trying again in {wait:g} s")
                time.sleep(wait)
        raise AssertionError("unreachable")

    def _download_once(self, hour: ArchiveHour, destination: Path, progress) -> Download:
        url = self.url_for(hour)
        started = time.monotonic()
        try:
            if url.startswith("file://"):
                path, stat = self._mirror_file(url)
                with open(path, "rb") as response:
                    size, sha256 = self._copy(response, destination, stat.st_size, progress)
                last_modified, etag = _file_validators(stat)
                expected = stat.st_size
            else:
                with _open(url, self.timeout_seconds) as response:
                    length = response.headers.get("Content-Length")
                    expected = int(length) if length else None
                    last_modified = response.headers.get("Last-Modified")
                    etag = response.headers.get("ETag")
                    size, sha256 = self._copy(response, destination, expected, progress)
        except urllib.error.HTTPError as error:
            raise _http_error(url, error) from None
        except SourceError:
            raise
        except OSError as error:
            raise self._connection_error(url, error) from error
        if expected is not None and size != expected:
            raise IncompleteDownload(
                f"{url}: received {size:,} bytes of the {expected:,} announced; "
                "the download was cut short, run the hour again"
            )
        return Download(url, size, sha256, last_modified, time.monotonic() - started, etag)

    def _copy(self, response, destination: Path, expected: int | None, progress):
        return _copy(
            response, destination, expected, progress,
            (self.min_bytes_per_second, self.rate_window_seconds),
        )  # fmt: skip


def source_changes(served: SourceFile, held_bytes: int, recorded: dict | None) -> list[str]:
    """How the source's file differs from the one in the lake: its size, and the
    Last-Modified and ETag recorded at download (each compared where both sides
    have one). Empty when nothing says it changed."""
    changes = []
    if served.size != held_bytes:
        size = "unknown" if served.size is None else f"{served.size:,}"
        changes.append(f"size {held_bytes:,} -> {size} bytes")
    for name in ("last_modified", "etag"):
        before, now = (recorded or {}).get(name), getattr(served, name)
        if before and now and before != now:
            changes.append(f"{name} {before!r} -> {now!r}")
    return changes


def missing_for_good(hour: ArchiveHour, now: datetime, missing_after_hours: int) -> bool:
    """Whether a 404 for the hour means "never coming" rather than "not yet"."""
    return now - hour.end > timedelta(hours=missing_after_hours)


def sources_of_hour(
    source: ArchiveSourceResource, settings: Settings, hour: ArchiveHour
) -> list[tuple[SourceSpec, str | None, ArchiveSourceResource]]:
    """Every source serving ``hour`` (``GHARCHIVE_SOURCES``; else
    ``source`` alone), with the name its lake file carries and a resource
    reading it: ``source`` itself for the first, a copy for the others."""
    return [
        (spec, name, source if name is None else source.model_copy(update={"base_url": spec.url}))
        for spec, name in settings.sources_serving(hour)
    ]


def _file_validators(stat: os.stat_result) -> tuple[str, str]:
    """A mirror file's Last-Modified and an ETag as web servers make them (inode,
    modification time in ns, size), so a rewrite within the same second shows."""
    etag = f'"{stat.st_ino:x}-{stat.st_mtime_ns:x}-{stat.st_size:x}"'
    return formatdate(stat.st_mtime, usegmt=True), etag


def _http_error(url: str, error: urllib.error.HTTPError) -> SourceError:
    if error.code == 404:
        return HourNotPublished(f"{url} answered 404: the hour is not published (yet)")
    return SourceError(f"{url} answered HTTP {error.code} {error.reason}")


def _copy(
    response,
    destination: Path,
    expected: int | None,
    progress,
    least: tuple[float, float] = (MIN_BYTES_PER_SECOND, RATE_WINDOW_SECONDS),
) -> tuple[int, str]:
    """Copy as the bytes come (``read1``: whatever has arrived, so a slow source is
    seen slow, not waited on for a whole chunk), hashing them; give up when a
    window of ``least[1]`` seconds brings less than ``least[0]`` bytes a second."""
    min_rate, window = least
    digest = hashlib.sha256()
    read = getattr(response, "read1", response.read)
    size = 0
    started = last_report = window_start = time.monotonic()
    window_bytes = 0
    with open(destination, "wb") as out:
        while chunk := read(CHUNK_SIZE):
            out.write(chunk)
            digest.update(chunk)
            size += len(chunk)
            window_bytes += len(chunk)
            now = time.monotonic()
            if now - window_start >= window:
                rate = window_bytes / (now - window_start)
                if rate < min_rate:
                    raise SlowDownload(
                        f"the source sent {window_bytes:,} bytes in the last "
                        f"{now - window_start:.0f} s ({rate:,.0f} B/s, under the "
                        f"{min_rate:,.0f} B/s a download must keep); "
                        f"{size:,} bytes in all; given up"
                    )
                window_start, window_bytes = now, 0
            if progress and now - last_report >= PROGRESS_EVERY_SECONDS:
                last_report = now
                rate = size / max(now - started, 1e-9) / 1e6
                of = f" of {expected / 1e6:,.1f}" if expected else ""
                progress(f"downloaded {size / 1e6:,.1f}{of} MB at {rate:,.1f} MB/s")
    return size, digest.hexdigest()
