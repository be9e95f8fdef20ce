"""The dashboard's top lists rank exactly as a full aggregation does, while
aggregating only the keys that can reach the list (MartsReader.top)."""

from __future__ import annotations

import random
from datetime import date, timedelta

import duckdb
import pandas as pd
import pytest

from gharchive_assets.reporting.marts import Filters, MartsReader
from gharchive_assets.warehouse.duckdb_warehouse import DuckDBWarehouseResource

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
    aggregations = [sql for sql in asked if "group by" in sql]
    assert len(aggregations) == 1 and " in (select repo_key" in aggregations[0]
