"""GitHub's star history of a repository, as its REST API gives it.

``GET /repos/{owner}/{repo}/stargazers/history`` (API version 2026-03-10,
added 2026-09-04): a JSON array of weeks, newest first, each
``{"week": <unix seconds of the week's first day>, "total": n, "days": [7 counts]}``,
paged by ``per_page`` (at most 30 weeks) and ``page``, with ``Link`` headers.
A day's count is the stars given that day that are still there when asked
(an unstar takes its star out of the day it was given), so the days of a
repository add up to its current star count. No stargazer is named.

The client asks one request at a time (GitHub's advice against secondary
limits), conditionally (``If-None-Match``: an unchanged page answers 304,
which costs no rate limit), and waits when told to: ``Retry-After``, or the
primary limit's ``X-RateLimit-Reset`` once ``X-RateLimit-Remaining`` is 0.
It stops rather than wait past ``max_wait_seconds`` in all; what it fetched
by then is kept by the caller (see ``stars_asset``), so a re-run resumes.

Nothing an answer says is trusted as it comes:

- the token goes only to the origin of ``api_url``: a ``Link`` or a redirect
  to another origin is refused, and the token is never sent there;
- every wait has a floor (``MIN_WAIT_SECONDS``, doubling while GitHub keeps
  refusing) and a count (``RATE_LIMIT_ANSWERS`` in a row), besides the run's
  budget, and each kind of wait is logged once per request;
- every answer is read within ``answer_seconds`` in all and at most
  ``MAX_ANSWER_BYTES``, however slowly its server sends;
- a page is checked before it is kept (``check_weeks``): at most 30 weeks,
  each on a day boundary, seven whole counts from 0 to ``MAX_COUNT``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urljoin, urlsplit

import requests

API_VERSION = "2026-03-10"
WEEKS_PER_PAGE = 30  # the endpoint's largest page
LAST_PAGE = 100  # the endpoint's deepest page: 3,000 weeks
SERVER_ERROR_TRIES = 4
# GitHub's advice for a secondary limit that names no time: wait at least a
# minute, longer each time.
SECONDARY_LIMIT_WAIT_SECONDS = 60.0
# A stated wait of 0 s, or a reset already past, still waits this long, twice
# as long at each refusal in a row; and a request refused this many times in a
# row gives up, whatever each refusal asked.
MIN_WAIT_SECONDS = 1.0
RATE_LIMIT_ANSWERS = 10
# An answer is a page of at most 30 weeks (a few kB): one larger than this, or
# slower than ANSWER_SECONDS in all, is not GitHub's.
MAX_ANSWER_BYTES = 1 << 20
ANSWER_SECONDS = 60.0
MAX_REDIRECTS = 5
# The most stars a repository has is in the hundreds of thousands.
MAX_COUNT = 10**9
DAY_SECONDS = 86_400


class StarHistoryError(RuntimeError):
    """A request failed in a way waiting would not mend (the message says what to do)."""


class NotStarHistory(StarHistoryError):
    """An answer, or a page kept from one, that is not a page of star history."""


class RateLimited(StarHistoryError):
    """GitHub asked for a wait longer than the client may still wait."""

    def __init__(self, message: str, until: datetime):
        super().__init__(message)
        self.until = until


@dataclass
class Page:
    """One page of weeks as GitHub answered it, with its ETag for next time."""

    url: str
    etag: str | None
    weeks: list[dict]
    next_url: str | None

    def to_json(self) -> dict:
        return {"url": self.url, "etag": self.etag, "weeks": self.weeks, "next": self.next_url}

    @classmethod
    def from_json(cls, data: dict) -> Page:
        """A page as the lake kept it, checked as an answer is (NotStarHistory if not)."""
        if not isinstance(data, dict) or not isinstance(data.get("url"), str):
            raise NotStarHistory("a kept page has no url")
        weeks = check_weeks(data.get("weeks"), data["url"])
        return cls(data["url"], data.get("etag"), weeks, data.get("next"))


def check_weeks(weeks, url: str) -> list[dict]:
    """``weeks`` if they are a page of star history, else NotStarHistory saying what is wrong."""

    def refuse(what: str) -> NotStarHistory:
        return NotStarHistory(f"{url} is not a page of star history: {what}")

    if not isinstance(weeks, list):
        raise refuse(f"a {type(weeks).__name__}, not a list of weeks")
    if len(weeks) > WEEKS_PER_PAGE:
        raise refuse(f"{len(weeks)} weeks, more than the {WEEKS_PER_PAGE} a page holds")
    for number, week in enumerate(weeks):
        if not isinstance(week, dict):
            raise refuse(f"week {number} is a {type(week).__name__}")
        start, days = week.get("week"), week.get("days")
        if not _whole(start, 0, 2**40) or start % DAY_SECONDS:
            raise refuse(f"week {number} starts at {start!r}, not at a day's start (unix seconds)")
        if not isinstance(days, list) or len(days) != 7:
            raise refuse(f"week {number} has {days!r} for its 7 days")
        for offset, count in enumerate(days):
            if not _whole(count, 0, MAX_COUNT):
                raise refuse(f"week {number}, day {offset}: {count!r} is not a count of stars")
        if "total" in week and not _whole(week["total"], 0, 7 * MAX_COUNT):
            raise refuse(f"week {number}: total {week['total']!r} is not a count of stars")
    return weeks


def _whole(value, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def origin(url: str) -> tuple[str, str, int | None]:
    """A URL's scheme, host and port (the default port made explicit)."""
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


@dataclass
class Reply:
    """An answer read whole, within its deadline and size."""

    url: str
    status_code: int
    headers: requests.structures.CaseInsensitiveDict
    links: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class Answer:
    """What GitHub said of one repository: ``ok`` with its pages, ``gone``
    (404: deleted, private or never there) or ``blocked`` (451: unavailable
    for legal reasons)."""

    status: str
    pages: list[Page] = field(default_factory=list)
    requests: int = 0
    not_modified: int = 0


def daily_stars(pages: list[Page], through: date) -> dict[date, int]:
    """Stars given on each day (UTC) that the pages cover, up to ``through``."""
    stars: dict[date, int] = {}
    for page in pages:
        for week in page.weeks:
            first = datetime.fromtimestamp(int(week["week"]), UTC).date()
            for offset, count in enumerate(week.get("days") or []):
                day = first + timedelta(days=offset)
                if day <= through:
                    stars[day] = int(count)
    return stars


def earliest_day(pages: list[Page]) -> date | None:
    weeks = [int(week["week"]) for page in pages for week in page.weeks]
    return datetime.fromtimestamp(min(weeks), UTC).date() if weeks else None


def reaches(pages: list[Page], day: date) -> bool:
    """Whether ``pages`` go back to ``day``, or to the repository's first week."""
    if not pages:
        return False
    if pages[-1].next_url is None:
        return True
    first = earliest_day(pages)
    return first is not None and first <= day


class StarHistoryClient:
    """Asks GitHub (or ``api_url``, a loopback server in tests) for star histories."""

    def __init__(
        self,
        api_url: str,
        token: str,
        max_wait_seconds: float = 3600.0,
        timeout_seconds: float = 30.0,
        answer_seconds: float = ANSWER_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
        log: Callable[[str], None] = print,
    ):
        self.api_url = api_url.rstrip("/")
        self.origin = origin(self.api_url)
        self.session = requests.Session()
        self.session.headers.update(
            {
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": "gharchive-assets",
            }
        )
        self._token = token  # sent per request, to api_url's origin only (_send)
        self.max_wait_seconds = max_wait_seconds
        self.timeout_seconds = timeout_seconds
        self.answer_seconds = answer_seconds
        self.waited_seconds = 0.0
        self.not_before = 0.0  # the primary limit ran out: no request before its reset
        self._sleep = sleep
        self._log = log

    def history(self, repo_name: str, back_to: date, known: list[Page] | None = None) -> Answer:
        """The pages of ``repo_name``'s weeks, newest first, far enough to reach
        ``back_to``; ``known`` pages (from an earlier fetch) are asked for
        conditionally and reused when GitHub says they have not changed."""
        etags = {page.url: page for page in known or []}
        url: str | None = (
            f"{self.api_url}/repos/{repo_name}/stargazers/history?per_page={WEEKS_PER_PAGE}&page=1"
        )
        answer = Answer("ok")
        for _ in range(LAST_PAGE):
            if url is None:
                break
            cached = etags.get(url)
            response = self._get(url, cached.etag if cached else None)
            answer.requests += 1
            if response.status_code in (404, 451):
                return Answer(
                    "gone" if response.status_code == 404 else "blocked",
                    requests=answer.requests,
                )
            if response.status_code == 304 and cached is not None:
                page = cached
                answer.not_modified += 1
            else:
                page = self._page(url, response)
            answer.pages.append(page)
            if reaches(answer.pages, back_to):
                break
            url = page.next_url
        return answer

    def _page(self, url: str, response: Reply) -> Page:
        if response.status_code != 200:
            raise StarHistoryError(
                f"GitHub answered {response.status_code} for {url}: {_message(response)}"
            )
        try:
            data = response.json()
        except ValueError as error:
            raise NotStarHistory(
                f"{url} did not answer with JSON ({error}): is GITHUB_API_URL GitHub's REST API?"
            ) from error
        weeks = check_weeks(data, url)
        next_url = response.links.get("next", {}).get("url")
        if next_url is not None:
            next_url = urljoin(url, next_url)
            if origin(next_url) != self.origin:
                raise StarHistoryError(
                    f"the answer for {url} links its next page to {_origin_text(next_url)}, "
                    f"not to GITHUB_API_URL's origin {_origin_text(self.api_url)}: refused "
                    "(GITHUB_TOKEN is sent to that origin only); nothing of this repository is kept"
                )
        return Page(url, response.headers.get("ETag"), weeks, next_url)

    def _get(self, url: str, etag: str | None) -> Reply:
        """One answer that is not a rate limit or a passing server error."""
        headers = {"If-None-Match": etag} if etag else {}
        failures = 0  # connections refused or cut, server errors
        refusals = 0  # rate limits in a row
        waits: dict[str, list[float]] = {}  # each kind of wait: its seconds, logged once
        while True:
            self._wait_until(self.not_before, url, waits)
            try:
                response = self._send(url, headers)
            except requests.RequestException as error:
                failures += 1
                self._try_again(failures, url, "the connection failed", "check GITHUB_API_URL "
                                f"and the network ({error})", waits)  # fmt: skip
                continue
            wait = self._rate_limit_wait(response, refusals)
            if wait is None:
                self._remember_limit(response)
            else:
                refusals += 1
                if refusals >= RATE_LIMIT_ANSWERS:
                    raise StarHistoryError(
                        f"GitHub refused {url} {refusals} times in a row as rate limited "
                        f"({response.status_code}): try again later"
                    )
                self._wait(
                    wait, url, f"GitHub answered {response.status_code}: rate limited", waits
                )
                continue
            if response.status_code in (401, 403):
                raise StarHistoryError(
                    f"GitHub refused {url} ({response.status_code}: {_message(response)}): "
                    "check that GITHUB_TOKEN is valid and may read public repositories"
                )
            if response.status_code >= 500:
                failures += 1
                self._try_again(failures, url, f"GitHub answered {response.status_code}",
                                "try again later", waits)  # fmt: skip
                continue
            self._log_waits(url, waits)
            return response

    def _send(self, url: str, headers: dict) -> Reply:
        """GET ``url`` with the token (its origin is api_url's), following
        redirects within that origin only, and read the answer whole within
        ``answer_seconds`` and ``MAX_ANSWER_BYTES``."""
        for _ in range(MAX_REDIRECTS + 1):
            if origin(url) != self.origin:
                raise StarHistoryError(
                    f"GitHub sent this client to {_origin_text(url)}, not to GITHUB_API_URL's "
                    f"origin {_origin_text(self.api_url)}: refused (GITHUB_TOKEN is sent to that "
                    "origin only)"
                )
            response = self.session.get(
                url,
                headers={**headers, "Authorization": f"Bearer {self._token}"},
                timeout=self.timeout_seconds,
                allow_redirects=False,
                stream=True,
            )
            with response:
                if response.is_redirect and response.headers.get("Location"):
                    url = urljoin(url, response.headers["Location"])
                    continue
                body = self._read(url, response)
                return Reply(url, response.status_code, response.headers, response.links, body)
        raise StarHistoryError(f"more than {MAX_REDIRECTS} redirects from {url}")

    def _read(self, url: str, response: requests.Response) -> bytes:
        """The body, read as it comes: refused past ``answer_seconds`` in all or
        past ``MAX_ANSWER_BYTES``, however slowly the server drips it."""
        deadline = time.monotonic() + self.answer_seconds
        chunks, size = [], 0
        while chunk := response.raw.read1(64 * 1024, decode_content=True):
            size += len(chunk)
            if size > MAX_ANSWER_BYTES:
                raise NotStarHistory(
                    f"{url} answered more than {MAX_ANSWER_BYTES:,} bytes: not a page of star "
                    "history (at most 30 weeks); is GITHUB_API_URL GitHub's REST API?"
                )
            if time.monotonic() > deadline:
                raise StarHistoryError(
                    f"{url} sent {size:,} bytes in {self.answer_seconds:.0f} s without finishing "
                    "its answer: the server is too slow; try again later"
                )
            chunks.append(chunk)
        return b"".join(chunks)

    def _try_again(self, failures: int, url: str, why: str, advice: str, waits: dict) -> None:
        """Wait longer each time after a failure that may pass; give up after a few."""
        if failures >= SERVER_ERROR_TRIES:
            raise StarHistoryError(f"{why} for {url} {SERVER_ERROR_TRIES} times; {advice}")
        self._wait(2.0**failures, url, why, waits)

    def _remember_limit(self, response: Reply) -> None:
        """An answer that spent the primary limit: the next request waits for its reset."""
        remaining = response.headers.get("X-RateLimit-Remaining")
        reset = response.headers.get("X-RateLimit-Reset")
        if remaining == "0" and reset and reset.isdigit():
            self.not_before = float(reset) + 1

    def _rate_limit_wait(self, response: Reply, earlier: int) -> float | None:
        """Seconds to wait when ``response`` is a rate limit, else None: what it
        says, but never less than ``MIN_WAIT_SECONDS`` doubled for each
        refusal before it (``earlier``)."""
        if response.status_code not in (403, 429):
            return None
        floor = MIN_WAIT_SECONDS * 2**earlier
        retry_after = response.headers.get("Retry-After", "").strip()
        if retry_after.isdigit():
            return max(float(retry_after), floor)
        if response.headers.get("X-RateLimit-Remaining") == "0":
            reset = response.headers.get("X-RateLimit-Reset", "")
            if reset.isdigit():
                return max(float(reset) + 1 - time.time(), floor)
        if response.status_code == 429 or "rate limit" in _message(response).lower():
            return SECONDARY_LIMIT_WAIT_SECONDS * 2**earlier
        return None

    def _wait_until(self, moment: float, url: str, waits: dict) -> None:
        if moment > time.time():
            self._wait(moment - time.time(), url, "the rate limit is spent", waits)

    def _wait(self, seconds: float, url: str, why: str, waits: dict) -> None:
        if self.waited_seconds + seconds > self.max_wait_seconds:
            until = datetime.now(UTC) + timedelta(seconds=seconds)
            raise RateLimited(
                f"{why} for {url}: GitHub asks for {seconds:.0f} s more, past the "
                f"{self.max_wait_seconds:.0f} s this run may wait. Run it again after "
                f"{until:%Y-%m-%d %H:%M:%S} UTC: what was fetched is kept",
                until,
            )
        if why not in waits:  # each kind of wait once per request; the rest in sum
            self._log(f"{why}: waiting {seconds:.0f} s before asking {url} again")
        waits.setdefault(why, []).append(seconds)
        self.waited_seconds += seconds
        self._sleep(seconds)

    def _log_waits(self, url: str, waits: dict) -> None:
        for why, seconds in waits.items():
            if len(seconds) > 1:
                self._log(
                    f"{why}: waited {len(seconds)} times, {sum(seconds):.0f} s in all, for {url}"
                )


def _message(response: Reply) -> str:
    try:
        body = response.json()
        return str(body.get("message", body))[:200] if isinstance(body, dict) else str(body)[:200]
    except ValueError:
        return response.body[:200].decode("utf-8", "replace")


def _origin_text(url: str) -> str:
    scheme, host, port = origin(url)
    return f"{scheme}://{host}:{port}"


def pages_to_json(pages: list[Page]) -> list[dict]:
    return [page.to_json() for page in pages]


def pages_from_json(data: list[dict]) -> Iterator[Page]:
    return (Page.from_json(page) for page in data)
