"""GitHub's star history beside the archive's, through the real definitions:
archive hours served over HTTP and loaded, the asset github/star_history asking
a loopback server that answers as GitHub documents, dbt building
analytics.repo_stars_daily; a run killed mid-way and resumed; no token.

The second day's hour renames its busiest repository half-way through: one
repository id, the latest name shown, both names in its history, found by
either in the dashboard's search.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

from gharchive_assets.core.settings import Settings
from gharchive_assets.defs.github import STAR_HISTORY_ASSET_KEY
from gharchive_assets.reporting.marts import Filters, MartsReader
from gharchive_assets.warehouse.target import warehouse_for
from tests.archive_server import ArchiveServer
from tests.browser import open_view, running_dashboard, table_rows
from tests.github_server import GitHubServer
from tests.pipeline import materialize_hours, query, star_history_alone, step_failure_message
from tests.synthetic import ArchiveFaker, write_hour

pytestmark = pytest.mark.slow

DAYS = (date(2015, 1, 1), date(2015, 1, 2))
# The last hour of the first day and the first of the second: one run of hours.
HOURS = [datetime(2015, 1, 1, 23, tzinfo=UTC), datetime(2015, 1, 2, 0, tzinfo=UTC)]
TOP = 3  # repositories by stars, and as many by events, each day
TODAY = date(2026, 12, 2)


def rename_halfway(records: list[dict]) -> tuple[int, str, str]:
    """The hour's busiest repository renamed at minute 30: (id, old, new)."""
    busiest, _ = Counter(r["repo"]["id"] for r in records).most_common(1)[0]
    old = next(r["repo"]["name"] for r in records if r["repo"]["id"] == busiest)
    new = old.split("/")[0] + "/renamed-" + old.split("/")[1]
    for record in records:
        if record["repo"]["id"] == busiest and record["created_at"][14:16] >= "30":
            record["repo"] = {**record["repo"], "name": new}
    return busiest, old, new


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    directory = tmp_path_factory.mktemp("stars_archive")
    faker = ArchiveFaker(seed=29, repos=40)
    hours = {hour: faker.hour(hour, 800) for hour in HOURS}
    renamed = rename_halfway(hours[HOURS[1]])
    for hour, records in hours.items():
        write_hour(directory, hour, records)
    with ArchiveServer(directory) as server:
        yield server, [r for records in hours.values() for r in records], renamed


@pytest.fixture(scope="module")
def github(archive):
    _, records, _ = archive
    rng = random.Random(5)
    names = {r["repo"]["name"] for r in records}
    histories = {
        name: {
            date(2014, 6, 1) + timedelta(days=n): rng.randrange(0, 30)
            for n in range((TODAY - date(2014, 6, 1)).days)
            if rng.random() < 0.7
        }
        for name in names
    }
    _, old, new = archive[2]
    histories[old] = histories[new]  # one repository under either name
    with GitHubServer(histories, TODAY) as server:
        yield server


@pytest.fixture(scope="module")
def settings(archive, github, tmp_path_factory) -> Settings:
    server, _, _ = archive
    return Settings(
        base_url=server.url,
        data_dir=tmp_path_factory.mktemp("stars_data"),
        github_api_url=github.url,
        star_history_repos=TOP,
    )


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    with dg.instance_for_test(temp_dir=str(tmp_path_factory.mktemp("stars_home"))) as test:
        yield test


@pytest.fixture(scope="module")
def loaded(archive, settings, instance):
    first, last = (f"{hour:%Y-%m-%d-%H}:00" for hour in HOURS)
    assert materialize_hours(settings, instance, first, last).success
    return archive[1]


def top_of(records: list[dict], day: date) -> list[tuple[int, str]]:
    """The day's top repositories as the asset picks them, with their latest names."""
    of_day = sorted(
        (r for r in records if r["created_at"][:10] == str(day)), key=lambda r: r["created_at"]
    )
    stars = Counter(r["repo"]["id"] for r in of_day if r["type"] == "WatchEvent")
    events = Counter(r["repo"]["id"] for r in of_day)
    names = {r["repo"]["id"]: r["repo"]["name"] for r in of_day}
    star_rank = {r: n for n, r in enumerate(sorted(events, key=lambda r: (-stars[r], r)), 1)}
    event_rank = {r: n for n, r in enumerate(sorted(events, key=lambda r: (-events[r], r)), 1)}
    chosen = [r for r in events if star_rank[r] <= TOP or event_rank[r] <= TOP]
    chosen.sort(key=lambda r: (min(star_rank[r], event_rank[r]), r))
    return [(repo, names[repo]) for repo in chosen]


def token(monkeypatch, github) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", github.token)


def test_without_a_token_nothing_is_asked_and_it_is_said_once(
    loaded, settings, instance, github, monkeypatch
):
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    result = star_history_alone(settings, instance, *DAYS)
    assert result.success, step_failure_message(result)
    said = [
        entry.user_message
        for entry in instance.all_logs(result.run_id)
        if "GITHUB_TOKEN is not set" in entry.user_message
    ]
    assert len(said) == 1, said
    assert "2 day(s)" in said[0]
    assert github.requests == []
    assert query(settings, "select count(*) from gharchive.github_star_history") == [(0,)]
    assert query(settings, "select count(*) from analytics.repo_stars_daily") == [(0,)]


def test_a_killed_run_resumes_without_asking_again(loaded, settings, github, tmp_path):
    wanted = top_of(loaded, DAYS[0])
    stalled = wanted[2][1]
    github.faults = {stalled: ("stall", 120)}
    env = {
        **os.environ,
        "GHARCHIVE_DATA_DIR": str(settings.data_dir),
        "GHARCHIVE_BASE_URL": settings.base_url,
        "GITHUB_API_URL": github.url,
        "GITHUB_TOKEN": github.token,
        "GHARCHIVE_STAR_HISTORY_REPOS": str(TOP),
        "DAGSTER_HOME": str(tmp_path),
    }
    command = [
        str(Path(sys.executable).with_name("dagster")), "asset", "materialize",
        "-m", "gharchive_assets.definitions", "--select", "key:github/star_history",
        "--partition", DAYS[0].isoformat(),
    ]  # fmt: skip
    process = subprocess.Popen(command, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not github.asked_for(stalled):
            assert process.poll() is None, "the run ended before its stalled request"
            assert time.monotonic() < deadline, "the run never reached its third repository"
            time.sleep(0.2)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    done = [name for _, name in wanted[:2]]
    asked_before = {name: len(github.asked_for(name)) for name in done}
    assert all(asked_before.values()), "the first two were asked before the kill"
    github.faults = {}
    (tmp_path / "again").mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / "again")) as instance:
        os.environ["GITHUB_TOKEN"] = github.token
        try:
            result = star_history_alone(settings, instance, DAYS[0])
        finally:
            del os.environ["GITHUB_TOKEN"]
    assert result.success, step_failure_message(result)
    assert {name: len(github.asked_for(name)) for name in done} == asked_before, (
        "what the killed run fetched is not asked again"
    )
    assert [r for r in github.asked_for(stalled) if r["status"] == 200], "the rest is fetched"


def test_star_mart_holds_githubs_counts_beside_the_archives(
    loaded, archive, settings, instance, github, monkeypatch
):
    token(monkeypatch, github)
    asked_before = {name for _, name in top_of(loaded, DAYS[0])}
    renamed = archive[2][2]
    fresh = [name for _, name in top_of(loaded, DAYS[1]) if name not in asked_before | {renamed}]
    assert len(fresh) >= 2, "two of the second day's repositories were not asked on the first"
    gone, blocked = fresh[-1], fresh[-2]
    github.faults = {gone: ("status", 404), blocked: ("status", 451)}
    github.rate_limits = [("retry_after", 1)]
    # The mart is a view the first build made: it reads the fetched rows as they are.
    result = star_history_alone(settings, instance, *DAYS)
    assert result.success, step_failure_message(result)
    rows = query(
        settings,
        "select day, repo_id, repo_name, archive_stars, github_stars, archive_to_github_ratio, "
        "hours_loaded from analytics.repo_stars_daily order by day, repo_id",
    )
    assert {row[0] for row in rows} == set(DAYS), "only loaded days"
    watch = Counter(
        (r["created_at"][:10], r["repo"]["id"]) for r in loaded if r["type"] == "WatchEvent"
    )
    fetched = {
        repo for day in DAYS for repo, name in top_of(loaded, day) if name not in (gone, blocked)
    }
    # A repository's history covers every loaded day, whichever day made it a top one.
    assert {(day, repo) for day, repo, *_ in rows} == {(d, r) for d in DAYS for r in fetched}
    for day, repo_id, name, archive_stars, github_stars, ratio, hours in rows:
        served = github.histories[name].get(day, 0)
        assert github_stars == served, (day, name)
        assert archive_stars == watch[(str(day), repo_id)], (day, name)
        assert ratio == (pytest.approx(archive_stars / served) if served else None)
        assert hours == 1
    metadata = [
        event.event_specific_data.materialization.metadata
        for event in result.all_events
        if event.event_type_value == "ASSET_MATERIALIZATION"
        and event.event_specific_data.materialization.asset_key == STAR_HISTORY_ASSET_KEY
        and event.event_specific_data.materialization.partition == DAYS[1].isoformat()
    ]
    assert metadata[0]["gone_404"].value == [gone]
    assert metadata[0]["blocked_451"].value == [blocked]


def test_a_renamed_repository_is_one_id_under_its_latest_name(loaded, archive, settings):
    repo_id, old, new = archive[2]
    (row,) = query(
        settings, "select repo_key, repo_name from analytics.dim_repos where repo_id = ?", [repo_id]
    )
    assert row == (str(repo_id), new)
    names = query(
        settings,
        "select repo_name, is_latest, first_seen_at < last_seen_at from "
        "analytics.repo_name_history where repo_id = ? order by first_seen_at",
        [repo_id],
    )
    assert [(name, latest) for name, latest, _ in names] == [(old, False), (new, True)]
    days = query(
        settings,
        "select day, repo_name from analytics.repo_activity_daily where repo_id = ? order by day",
        [repo_id],
    )
    assert len({day for day, _ in days}) == len(days), "one row per repository id and day"
    assert days[-1] == (DAYS[1], new)
    marts = MartsReader(warehouse_for(settings), settings.warehouse_kind)
    for searched in (old.split("/")[1], new.split("/")[1]):
        found = marts.top_repositories(
            Filters(first=DAYS[0], last=DAYS[1], repo_search=searched), "events", 10
        )
        assert list(found["repository"]) == [new], searched


def test_the_repository_page_finds_it_by_its_old_name_and_draws_both_star_counts(
    loaded, archive, settings, browser, tmp_path
):
    repo_id, old, new = archive[2]
    (github_total, archive_total) = query(
        settings,
        "select sum(github_stars), sum(archive_stars) from analytics.repo_stars_daily "
        "where repo_id = ?",
        [repo_id],
    )[0]
    assert github_total, "the renamed repository's history was fetched"
    with running_dashboard(settings.data_dir, tmp_path / "dashboard.log") as url:
        page = open_view(browser, f"{url}/repositories?from={DAYS[0]}&to={DAYS[1]}")
        page.get_by_role("textbox", name="Repository contains").fill(old.split("/")[1])
        page.keyboard.press("Enter")
        deadline = time.monotonic() + 30
        while len(table_rows(page, "Repositories")) > 1 and time.monotonic() < deadline:
            time.sleep(0.3)  # the page draws again with the search
        assert [row[0] for row in table_rows(page, "Repositories")] == [new]
        page.wait_for_selector("text=Stars: GitHub's count and the archive's", timeout=30_000)
        # The figures can render after the heading on a busy machine: wait for them.
        figure = f"{github_total:,} stars by GitHub's count"
        page.wait_for_function(
            "figure => document.body.innerText.includes(figure)", arg=figure, timeout=60_000
        )
        text = page.inner_text("body")
        assert figure in text
        assert f"the archive saw {archive_total:,}" in text
        charts = page.query_selector_all("[data-testid=stVegaLiteChart]")
        assert len(charts) >= 2, "the history and the stars, both drawn"
