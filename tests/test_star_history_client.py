"""The star-history client against a loopback server answering in the shape
GitHub documents: pages and their links, ETags, rate limits, gone and
blocked repositories. A server in a thread, no subprocess: seconds in all."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from gharchive_assets.github.star_history import (
    NotStarHistory,
    RateLimited,
    StarHistoryClient,
    StarHistoryError,
    daily_stars,
)
from tests.github_server import GitHubServer

# Starts a server (in a thread): not in the fast lane.
pytestmark = pytest.mark.slow

TODAY = date(2026, 12, 2)
REPO = "octo/big"


def history(first: date, seed: int = 7) -> dict[date, int]:
    rng = random.Random(seed)
    days = (TODAY - first).days + 1
    return {
        first + timedelta(days=n): rng.randrange(0, 40) for n in range(days) if rng.random() < 0.8
    }


@pytest.fixture
def server():
    histories = {REPO: history(date(2023, 1, 5)), "octo/small": {date(2026, 11, 30): 3}}
    with GitHubServer(histories, TODAY) as running:
        yield running


def client(server, waits=None, **options) -> StarHistoryClient:
    sleep = waits.append if waits is not None else (lambda seconds: None)
    return StarHistoryClient(
        server.url, server.token, sleep=sleep, log=lambda line: None, **options
    )


def test_pages_are_followed_back_to_the_day_asked(server):
    back_to = date(2025, 3, 1)
    answer = client(server).history(REPO, back_to)
    assert answer.status == "ok"
    served = server.histories[REPO]
    got = daily_stars(answer.pages, TODAY)
    assert min(got) <= back_to, "the pages reach the day asked"
    assert all(got[day] == served.get(day, 0) for day in got), "each day as served"
    weeks_needed = (TODAY - back_to).days // 7 + 1
    assert len(answer.pages) == -(-weeks_needed // 30), "no page beyond the one reaching it"
    first = server.requests[0]
    assert first["headers"]["X-GitHub-Api-Version"] == "2026-03-10"
    assert first["headers"]["Accept"] == "application/vnd.github+json"
    assert "per_page=30" in first["path"]


def test_a_whole_history_sums_to_the_repositorys_stars(server):
    answer = client(server).history(REPO, date(2000, 1, 1))
    assert answer.pages[-1].next_url is None, "stopped at the last page"
    assert sum(daily_stars(answer.pages, TODAY).values()) == sum(server.histories[REPO].values())


def test_unchanged_pages_answer_304_and_are_reused(server):
    asking = client(server)
    first = asking.history(REPO, date(2024, 6, 1))
    again = asking.history(REPO, date(2024, 6, 1), first.pages)
    assert again.requests == len(first.pages) == again.not_modified
    assert len(server.answered(304)) == len(first.pages)
    assert all(r["headers"].get("If-None-Match") for r in server.requests[len(first.pages) :])
    assert daily_stars(again.pages, TODAY) == daily_stars(first.pages, TODAY)
    server.histories[REPO][TODAY] = 999  # a new star today: the first page changes
    changed = asking.history(REPO, date(2024, 6, 1), first.pages)
    assert changed.not_modified == len(first.pages) - 1
    assert daily_stars(changed.pages, TODAY)[TODAY] == 999


def test_rate_limits_are_waited_out_as_github_says(server):
    server.rate_limits = [("primary", 2), ("retry_after", 3)]
    waits: list[float] = []
    answer = client(server, waits).history("octo/small", TODAY)
    assert answer.status == "ok"
    assert daily_stars(answer.pages, TODAY)[date(2026, 11, 30)] == 3
    assert len(waits) == 2
    assert 1.0 <= waits[0] <= 3.5, "until the primary limit's reset"
    assert waits[1] == 3.0, "Retry-After"
    assert [r["status"] for r in server.requests] == [403, 429, 200]


def test_a_wait_past_the_runs_limit_stops_and_says_when_to_retry(server):
    server.rate_limits = [("primary", 3600)]
    with pytest.raises(RateLimited, match=r"Run it again after .* UTC: what was fetched is kept"):
        client(server, [], max_wait_seconds=60).history(REPO, TODAY)


def test_gone_and_blocked_repositories_are_told_apart(server):
    server.faults = {"octo/big": ("status", 451)}
    asking = client(server)
    assert asking.history("octo/big", TODAY).status == "blocked"
    assert asking.history("octo/nowhere", TODAY).status == "gone"


def test_a_refused_token_is_named(server):
    refused = StarHistoryClient(server.url, "wrong", sleep=lambda s: None, log=lambda line: None)
    with pytest.raises(StarHistoryError, match="GITHUB_TOKEN"):
        refused.history(REPO, TODAY)


def test_server_errors_are_tried_again_then_reported(server):
    waits: list[float] = []
    server.faults = {REPO: ("status_once", 502)}
    assert client(server, waits).history(REPO, TODAY).status == "ok"
    assert len(waits) == 1
    server.faults = {REPO: ("status", 503)}
    with pytest.raises(StarHistoryError, match=r"503 .* 4 times; try again later"):
        client(server, []).history(REPO, TODAY)


# What a hostile or broken server may answer: nothing it says steers the client.


@pytest.fixture
def elsewhere():
    """Another server on loopback: where a hostile answer would send the token."""
    with GitHubServer({}, TODAY) as running:
        yield running


def test_the_token_never_goes_to_a_next_page_of_another_origin(server, elsewhere):
    server.faults = {REPO: ("next", f"{elsewhere.url}/steal?page=2")}
    with pytest.raises(StarHistoryError, match=r"links its next page to http://127\.0\.0\.1:\d+"):
        client(server).history(REPO, date(2023, 1, 5))
    assert elsewhere.requests == []


def test_a_redirect_is_followed_within_the_origin_and_refused_outside_it(server, elsewhere):
    same = f"{server.url}/repos/octo/small/stargazers/history?per_page=30&page=1"
    server.faults = {"octo/renamed": ("redirect", same), "octo/moved": ("redirect", elsewhere.url)}
    answer = client(server).history("octo/renamed", TODAY)
    assert daily_stars(answer.pages, TODAY)[date(2026, 11, 30)] == 3
    with pytest.raises(StarHistoryError, match="GITHUB_TOKEN is sent to that origin only"):
        client(server).history("octo/moved", TODAY)
    assert elsewhere.requests == []


@pytest.mark.parametrize("kind", ["retry_after", "primary"])
def test_waits_of_nothing_have_a_floor_and_a_count(server, kind):
    """429 with Retry-After: 0, or 403 with a reset already past, again and again:
    at least a second, doubling, ten answers at most, one log line."""
    server.rate_limits = [(kind, 0 if kind == "retry_after" else -100)] * 50
    waits: list[float] = []
    lines: list[str] = []
    asking = StarHistoryClient(server.url, server.token, sleep=waits.append, log=lines.append)
    with pytest.raises(StarHistoryError, match="10 times in a row as rate limited"):
        asking.history(REPO, TODAY)
    assert len(server.requests) == 10
    assert waits[:4] == [1.0, 2.0, 4.0, 8.0]
    assert len([line for line in lines if "waiting" in line]) == 1


def test_an_answer_dripped_slowly_is_refused_at_its_deadline(server):
    server.faults = {"octo/small": ("drip", 0.2)}
    with pytest.raises(StarHistoryError, match=r"without finishing its answer"):
        client(server, answer_seconds=1).history("octo/small", TODAY)


SUNDAY = 1_764_460_800  # 2025-11-30 00:00 UTC


@pytest.mark.parametrize(
    "body",
    [
        [{"week": "soon", "total": 1, "days": [1, 0, 0, 0, 0, 0, 0]}],
        [{"week": SUNDAY, "total": 1, "days": [None, 0, 0, 0, 0, 0, 0]}],
        [{"week": SUNDAY, "total": 1, "days": [10**20, 0, 0, 0, 0, 0, 0]}],
        [{"week": 10**30, "total": 1, "days": [1, 0, 0, 0, 0, 0, 0]}],
        [{"week": SUNDAY, "total": -1, "days": [-1, 0, 0, 0, 0, 0, 0]}],
        [{"week": SUNDAY + 3600, "total": 1, "days": [1, 0, 0, 0, 0, 0, 0]}],
        [{"week": SUNDAY, "total": 1, "days": [1, 0, 0]}],
        [{"week": SUNDAY, "total": 0, "days": [0] * 7}] * 31,
        {"week": SUNDAY},
    ],
    ids=["week-text", "day-null", "day-1e20", "week-1e30", "negative", "mid-day",
         "three-days", "31-weeks", "not-a-list"],
)  # fmt: skip
def test_a_page_that_is_not_star_history_is_refused_naming_what(server, body):
    server.faults = {"octo/small": ("body", body)}
    with pytest.raises(NotStarHistory, match="is not a page of star history"):
        client(server).history("octo/small", TODAY)


def test_an_answer_past_its_size_is_refused_unread(server):
    weeks = [{"week": SUNDAY, "total": 0, "days": [0] * 7}] * 40_000  # about 2 MB
    server.faults = {"octo/small": ("body", weeks)}
    with pytest.raises(NotStarHistory, match="answered more than 1,048,576 bytes"):
        client(server).history("octo/small", TODAY)
