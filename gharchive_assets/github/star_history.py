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
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import requests

API_VERSION = "2026-03-10"
WEEKS_PER_PAGE = 30  # the endpoint's largest page
LAST_PAGE = 100  # the endpoint's deepest page: 3,000 weeks
SERVER_ERROR_TRIES = 4
# GitHub's advice for a secondary limit that names no time: wait at least a
# minute, longer each time.
SECONDARY_LIMIT_WAIT_SECONDS = 60.0


class StarHistoryError(RuntimeError):
    """A request failed in a way waiting would not mend (the message says what to do)."""


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
        return cls(data["url"], data.get("etag"), data["weeks"], data.get("next"))


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
        sleep: Callable[[float], None] = time.sleep,
        log: Callable[[str], None] = print,
    ):
        self.api_url = api_url.rstrip("/")
        self.session = requests.Session()
        self.session.headers.update(
            {
                "Accept": "application/vnd.github+json",
                "Authorization": f"Bearer {token}",
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": "gharchive-assets",
            }
        )
        self.max_wait_seconds = max_wait_seconds
        self.timeout_seconds = timeout_seconds
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

    def _page(self, url: str, response: requests.Response) -> Page:
        if response.status_code != 200:
            raise StarHistoryError(
                f"GitHub answered {response.status_code} for {url}: {_message(response)}"
            )
        try:
            weeks = response.json()
            if not isinstance(weeks, list) or any(
                not isinstance(week, dict) or "week" not in week for week in weeks
            ):
                raise ValueError("not a list of weeks")
        except ValueError as error:
            raise StarHistoryError(
                f"{url} did not answer with star history weeks ({error}): is GITHUB_API_URL "
                "GitHub's REST API?"
            ) from error
        next_url = response.links.get("next", {}).get("url")
        return Page(url, response.headers.get("ETag"), weeks, next_url)

    def _get(self, url: str, etag: str | None) -> requests.Response:
        """One answer that is not a rate limit or a passing server error."""
        headers = {"If-None-Match": etag} if etag else {}
        failures = 0  # connections refused or cut, server errors
        secondary_waits = 0
        while True:
            self._wait_until(self.not_before, url)
            try:
                response = self.session.get(url, headers=headers, timeout=self.timeout_seconds)
            except requests.RequestException as error:
                failures += 1
                self._try_again(failures, url, "the connection failed", "check GITHUB_API_URL "
                                f"and the network ({error})")  # fmt: skip
                continue
            wait = self._rate_limit_wait(response, secondary_waits)
            if wait is None:
                self._remember_limit(response)
            else:
                secondary_waits += 1
                self._wait(wait, url, f"GitHub answered {response.status_code}: rate limited")
                continue
            if response.status_code in (401, 403):
                raise StarHistoryError(
                    f"GitHub refused {url} ({response.status_code}: {_message(response)}): "
                    "check that GITHUB_TOKEN is valid and may read public repositories"
                )
            if response.status_code >= 500:
                failures += 1
                self._try_again(failures, url, f"GitHub answered {response.status_code}",
                                "try again later")  # fmt: skip
                continue
            return response

    def _try_again(self, failures: int, url: str, why: str, advice: str) -> None:
        """Wait longer each time after a failure that may pass; give up after a few."""
        if failures >= SERVER_ERROR_TRIES:
            raise StarHistoryError(f"{why} for {url} {SERVER_ERROR_TRIES} times; {advice}")
        self._wait(2.0**failures, url, why)

    def _remember_limit(self, response: requests.Response) -> None:
        """An answer that spent the primary limit: the next request waits for its reset."""
        remaining = response.headers.get("X-RateLimit-Remaining")
        reset = response.headers.get("X-RateLimit-Reset")
        if remaining == "0" and reset and reset.isdigit():
            self.not_before = float(reset) + 1

    def _rate_limit_wait(self, response: requests.Response, earlier: int) -> float | None:
        """Seconds to wait when ``response`` is a rate limit, else None."""
        if response.status_code not in (403, 429):
            return None
        retry_after = response.headers.get("Retry-After", "")
        if retry_after.strip().isdigit():
            return float(retry_after)
        if response.headers.get("X-RateLimit-Remaining") == "0":
            reset = response.headers.get("X-RateLimit-Reset", "")
            if reset.isdigit():
                return max(float(reset) + 1 - time.time(), 1.0)
        if response.status_code == 429 or "rate limit" in _message(response).lower():
            return SECONDARY_LIMIT_WAIT_SECONDS * 2**earlier
        return None

    def _wait_until(self, moment: float, url: str) -> None:
        if moment > time.time():
            self._wait(moment - time.time(), url, "the rate limit is spent")

    def _wait(self, seconds: float, url: str, why: str) -> None:
        if self.waited_seconds + seconds > self.max_wait_seconds:
            until = datetime.now(UTC) + timedelta(seconds=seconds)
            raise RateLimited(
                f"{why} for {url}: GitHub asks for {seconds:.0f} s more, past the "
                f"{self.max_wait_seconds:.0f} s this run may wait. Run it again after "
                f"{until:%Y-%m-%d %H:%M:%S} UTC: what was fetched is kept",
                until,
            )
        self._log(f"{why}: waiting {seconds:.0f} s before asking {url} again")
        self.waited_seconds += seconds
        self._sleep(seconds)


def _message(response: requests.Response) -> str:
    try:
        body = response.json()
        return str(body.get("message", body)) if isinstance(body, dict) else str(body)[:200]
    except ValueError:
        return response.text[:200]


def pages_to_json(pages: list[Page]) -> list[dict]:
    return [page.to_json() for page in pages]


def pages_from_json(data: list[dict]) -> Iterator[Page]:
    return (Page.from_json(page) for page in data)
