"""The star-history client against a loopback server answering in the shape
GitHub documents: pages and their links, ETags, rate limits, gone and
blocked repositories. A server in a thread, no subprocess: seconds in all."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from gharchive_assets.github.star_history import (
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
