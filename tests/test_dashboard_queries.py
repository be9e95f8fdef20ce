"""The dashboard's answers are exact: top lists rank as a full aggregation
does while aggregating only the keys that can reach the list
(MartsReader.top), and every view gives the same answer from the monthly
rollups and edge days as from the daily marts alone."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import duckdb
import pandas as pd
import pytest

from gharchive_assets.reporting.marts import Filters, MartsReader
from gharchive_assets.reporting.ranges import spans
from gharchive_assets.warehouse.duckdb_warehouse import DuckDBWarehouseResource
from tests.synthetic_marts import build_daily_marts, build_rollups

FIRST = date(2024, 3, 1)


@pytest.fixture(scope="module")
def marts(tmp_path_factory) -> MartsReader:
    """Ten days of repositories, one row per repository and day (the marts'
    grain): a few busy every day, a long tail, ties, and keys busy on one day
    only (a spike must not hide a steady repository)."""
    rng = random.Random(17)
    rows = []
    for offset in range(10):
        day = FIRST + timedelta(days=offset)
        tail = rng.sample(range(300, 20_300), 2700)
        for i in range(3000):
            key = i if i < 300 else tail[i - 300]
            events = max(1, int(2000 / (i + 1) ** 0.8 * (0.5 + rng.random())))
            rows.append((day, str(key), f"owner/repo{key}", events, events // 7, events % 5))
        rows.append((day, f"spike{offset}", f"spiky/repo{offset}", 5000, 0, 0))
    rows += [(FIRST, "tie-a", "tie/a", 9999, 0, 0), (FIRST, "tie-b", "tie/b", 9999, 0, 0)]
    rows.append((FIRST, "literal", "under_score/100%-done", 1, 0, 0))
    path = tmp_path_factory.mktemp("marts") / "warehouse.duckdb"
    with duckdb.connect(str(path)) as db:
        db.execute(
            "create schema analytics; create table analytics.repo_activity_daily (day date, "
            "repo_key varchar, repo_name varchar, events bigint, stars bigint, forks bigint, "
            "pushes bigint default 0, pull_requests_opened bigint default 0, "
            "issues_opened bigint default 0)"
        )
        db.register(
            "generated",
            pd.DataFrame(rows, columns=["day", "key", "name", "events", "stars", "forks"]),
        )
        db.execute(
            "insert into analytics.repo_activity_daily (day, repo_key, repo_name, events, "
            "stars, forks) select * from generated"
        )
        # GitHub's count for one repository, on two days.
        db.execute(
            "create table analytics.repo_stars_daily (day date, repo_id bigint, "
            "repo_name varchar, archive_stars bigint, github_stars bigint); "
            f"insert into analytics.repo_stars_daily values ('{FIRST}', 1, 'owner/repo1', 3, 30), "
            f"('{FIRST + timedelta(days=1)}', 1, 'owner/repo1', 2, 25)"
        )
        # A row per repository, name and day; one repository renamed on the last day.
        db.execute(
            "create table analytics.dim_repos_by_day as select day, repo_key, repo_name, "
            "day::timestamp as last_seen_at from analytics.repo_activity_daily"
        )
        db.execute(
            "insert into analytics.dim_repos_by_day values "
            f"('{FIRST + timedelta(days=9)}', '0', 'new-owner/renamed', "
            f"'{FIRST + timedelta(days=9)} 23:00:00')"
        )
    return MartsReader(DuckDBWarehouseResource(path=str(path)), "duckdb")


@pytest.mark.parametrize("days", [1, 3, 10])
@pytest.mark.parametrize("by", ["events", "stars", "forks"])
@pytest.mark.parametrize("limit", [5, 25])
def test_pruned_top_lists_equal_the_full_aggregation(marts, days, by, limit):
    filters = Filters(FIRST, FIRST + timedelta(days=days - 1))
    pruned = marts.top_repositories(filters, by, limit)
    marts.prune_top_lists = False
    try:
        full = marts.top_repositories(filters, by, limit)
    finally:
        marts.prune_top_lists = True
    assert len(pruned) == limit
    assert pruned.to_dict("records") == full.to_dict("records")


def test_a_search_narrows_the_list(marts):
    filters = Filters(FIRST, FIRST + timedelta(days=9), repo_search="SPIKY")
    top = marts.top_repositories(filters, "events", 5)
    assert set(top["repository"]) <= {f"spiky/repo{i}" for i in range(10)} and len(top) == 5


def test_a_renamed_repository_shows_its_latest_name_and_is_found_by_either(marts):
    whole = Filters(FIRST, FIRST + timedelta(days=9))
    top = marts.top_repositories(whole, "events", 10)
    assert "new-owner/renamed" in set(top["repository"])
    assert "owner/repo0" not in set(top["repository"]), "the latest name, not the range's"
    for text in ("renamed", "owner/repo0"):
        found = marts.top_repositories(replace(whole, repo_search=text), "events", 50)
        assert "new-owner/renamed" in set(found["repository"]), text


def by_shown_keys(sql: str) -> bool:
    """The lookups of the listed repositories' latest names and GitHub's
    counts, by their keys: no aggregation of the range's repositories."""
    return "dim_repos_by_day" in sql or "repo_stars_daily" in sql


def test_githubs_star_count_stands_beside_the_archives_where_fetched(marts):
    top = marts.top_repositories(Filters(FIRST, FIRST + timedelta(days=9)), "events", 10)
    github = dict(zip(top["repo_key"], top["github_stars"], strict=True))
    assert github.pop("1") == 55
    assert all(value is None for value in github.values()), "none where none was fetched"


def test_a_search_matches_its_text_literally(marts):
    """``_`` and ``%`` are characters, not LIKE's wildcards."""
    day = Filters(FIRST, FIRST)
    for text in ("_", "%", "r_s", "100%-"):
        found = marts.top_repositories(Filters(FIRST, FIRST, repo_search=text), "events", 50)
        assert list(found["repository"]) == ["under_score/100%-done"], text
    assert marts.top_repositories(day, "events", 5)["repository"].is_unique


def test_a_long_range_aggregates_candidates_only(marts):
    """Ten days, top five by events: one seed query, then one aggregation of
    the candidates (an IN over the keys with a large enough day), exact."""
    asked = []
    rows = marts.rows
    marts.rows = lambda sql, parameters=(), **parts: (
        asked.append(sql.format(analytics=marts.schema, **parts)) or rows(sql, parameters, **parts)
    )
    try:
        marts.top_repositories(Filters(FIRST, FIRST + timedelta(days=9)), "events", 5)
    finally:
        del marts.rows
    aggregations = [sql for sql in asked if "group by" in sql and not by_shown_keys(sql)]
    assert len(aggregations) == 1 and " in (select repo_key" in aggregations[0]


# Rollups: 75 days from 2024-01-20, so ranges have edge days, whole months
# (February, March) and both.
ROLLED_FIRST, ROLLED_DAYS = date(2024, 1, 20), 75
ROLLED_LAST = ROLLED_FIRST + timedelta(days=ROLLED_DAYS - 1)  # 2024-04-03
RANGES = [
    (ROLLED_LAST, ROLLED_LAST),  # the latest day
    (date(2024, 2, 1), date(2024, 2, 29)),  # one whole month
    (date(2024, 1, 25), date(2024, 3, 2)),  # edges around a month
    (ROLLED_FIRST, ROLLED_LAST),  # all history: edges and two months
    (date(2024, 2, 10), date(2024, 3, 9)),  # no whole month
]
VIEW_CALLS = [
    ("headline", ()),
    ("events_by_type", ()),
    ("bot_share", ()),
    ("top_repositories", ("events", 10)),
    ("top_repositories", ("stars", 25)),
    ("top_people", (10,)),
    ("top_organisations", (10,)),
    ("pull_requests", ()),
    ("time_to_merge", ()),
    ("issues", ()),
    ("labels", (10,)),
    ("releases", (10,)),
    ("new_repositories", (10,)),
    ("coverage_by_month", ()),
]


@pytest.fixture(scope="module")
def rolled(tmp_path_factory) -> MartsReader:
    """Small daily marts and the project's rollups of them (dbt run)."""
    work = tmp_path_factory.mktemp("rolled")
    build_daily_marts(work / "warehouse.duckdb", ROLLED_FIRST, ROLLED_DAYS, 0.002)
    build_rollups(work / "warehouse.duckdb", work)
    return MartsReader(DuckDBWarehouseResource(path=str(work / "warehouse.duckdb")), "duckdb")


def both_ways(marts: MartsReader, method: str, *arguments):
    """The answer from the rollups and edge days, and from the days alone."""
    rolled_up = getattr(marts, method)(*arguments)
    marts.use_rollups = False
    try:
        return rolled_up, getattr(marts, method)(*arguments)
    finally:
        marts.use_rollups = True


def same(left, right) -> None:
    """Equal answers; numbers compared as numbers (the BigQuery emulator
    returns some sums as NUMERIC, which the client gives as Decimal)."""
    if isinstance(left, dict):
        assert left == right
        return

    def plain(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.reset_index(drop=True).apply(
            lambda column: (
                column.map(float)
                if column.map(lambda value: isinstance(value, Decimal)).any()
                else column
            )
        )

    pd.testing.assert_frame_equal(plain(left), plain(right), check_dtype=False)


@pytest.mark.slow
@pytest.mark.parametrize("first, last", RANGES)
@pytest.mark.parametrize("with_bots", [True, False])
def test_every_view_is_the_same_from_the_rollups(rolled, first, last, with_bots):
    filters = Filters(first, last, with_bots=with_bots)
    for method, arguments in VIEW_CALLS:
        from_rollups, from_days = both_ways(rolled, method, filters, *arguments)
        same(from_rollups, from_days)
    searched = Filters(first, last, repo_search="/repo1", org_search="org2")
    for method, arguments in VIEW_CALLS:
        from_rollups, from_days = both_ways(rolled, method, searched, *arguments)
        same(from_rollups, from_days)


@pytest.mark.slow
def test_histories_by_key_are_the_same_from_the_rollups(rolled):
    every_day = Filters(ROLLED_FIRST, ROLLED_LAST)
    top = rolled.top_repositories(every_day, "events", 3)
    for key in top["repo_key"]:
        for first, last in RANGES:
            from_rollups, from_days = both_ways(
                rolled, "repository_history", Filters(first, last), key
            )
            same(from_rollups, from_days)
            assert not from_days.empty
    people = rolled.top_people(every_day, 2)
    organisations = rolled.top_organisations(every_day, 2)
    for method, keys in (
        ("person_history", people["actor_key"]),
        ("organisation_history", organisations["org_key"]),
    ):
        for key in keys:
            for first, last in RANGES:
                same(*both_ways(rolled, method, Filters(first, last), key))
    person = rolled.person_history(every_day, people["actor_key"].iloc[0])
    assert person["contributions"].sum() == people["contributions"].iloc[0]
    history = rolled.repository_history(every_day, top["repo_key"].iloc[0])
    assert history.columns[0] == "month" and len(history) == 4  # Jan..Apr
    assert history["events"].sum() == top["events"].iloc[0]


@pytest.mark.slow
def test_a_year_reads_the_months_of_the_rollup(rolled):
    """All history: the two whole months from the rollup, only the edges
    from the daily mart; a range inside a month from the days alone."""
    asked = []
    rows = rolled.rows
    rolled.rows = lambda sql, parameters=(), **parts: (
        asked.append(sql.format(analytics=rolled.schema, **parts)) or rows(sql, parameters, **parts)
    )
    try:
        rolled.top_repositories(Filters(ROLLED_FIRST, ROLLED_LAST), "events", 5)
    finally:
        del rolled.rows
    aggregations = [sql for sql in asked if "group by" in sql and not by_shown_keys(sql)]
    assert aggregations and all("repo_activity_monthly" in sql for sql in aggregations)
    assert [span.grain for span in spans(ROLLED_FIRST, ROLLED_LAST)] == ["day", "month", "day"]
    assert [span.grain for span in spans(date(2024, 2, 10), date(2024, 3, 9))] == ["day"]
