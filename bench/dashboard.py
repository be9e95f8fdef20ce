"""What each dashboard view costs on a month of 2024-size marts (DuckDB).

Builds the marts the dashboard reads straight into a DuckDB warehouse, at the
row counts a day of 2024 gives (about 4.8 million events: a million
repositories and 600,000 contributors a day, ...), for 30 days, then times every
view's queries (the :class:`MartsReader` methods a view calls, through the same
``DuckDBWarehouseResource`` the dashboard uses, cold: Streamlit's one-minute
cache off) for the opening range (the latest day), a week and the month.

    python bench/dashboard.py [--days 30] [--scale 1.0] [--out bench/out/dashboard]
"""

from __future__ import annotations

import argparse
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb

from gharchive_assets.reporting.marts import Filters, MartsReader
from gharchive_assets.warehouse.duckdb_warehouse import DuckDBWarehouseResource

FIRST = date(2024, 3, 1)
# Rows per day of each mart at 2024 volume (GH Archive, spring 2024).
PER_DAY = {
    "repo_activity_daily": 1_000_000,
    "contributors_daily": 600_000,
    "org_activity_daily": 60_000,
    "pull_requests_daily": 150_000,
    "pull_request_merges": 100_000,
    "issues_daily": 100_000,
    "issue_labels_daily": 10_000,
    "releases_daily": 30_000,
    "new_repositories_daily": 300_000,
}
TYPES = [
    "PushEvent", "CreateEvent", "PullRequestEvent", "IssueCommentEvent", "WatchEvent",
    "DeleteEvent", "PullRequestReviewEvent", "IssuesEvent", "ForkEvent",
    "PullRequestReviewCommentEvent", "ReleaseEvent", "CommitCommentEvent", "GollumEvent",
    "MemberEvent", "PublicEvent",
]  # fmt: skip


def build(path: Path, days: int, scale: float) -> None:
    """The marts, shaped as dbt makes them (the columns the dashboard reads)."""
    n = {name: int(rows * scale) for name, rows in PER_DAY.items()}

    def key(mart: str) -> str:
        """A fifth of a day's keys are active every day (the same repositories,
        people, organisations), the rest come and go: about 3x as many keys a
        month as a day."""
        regulars = n[mart] // 5
        return (
            f"(case when i < {regulars} then i else {regulars} + "
            f"hash(i, day) % {3 * n[mart]} end)::varchar"
        )

    def heavy(top: int) -> str:
        """A long tail: the i-th busiest key does about top / (i + 1)^0.8 a day."""
        return f"greatest(1, ({top} / pow(i + 1, 0.8) * (0.5 + random())))::bigint"

    types = ", ".join(f"'{t}'" for t in TYPES)
    with duckdb.connect(str(path)) as db:
        db.execute("create schema analytics; create schema gharchive")
        days_sql = (
            f"select (date '{FIRST}' + d::int) as day from range({days}) t(d)"  # one row per day
        )
        db.execute(f"""
            create table analytics.daily_event_counts as
            select day, t as event_type, (random() * 2e6)::bigint as events,
                   (random() * 5e5)::bigint as actors, (random() * 5e5)::bigint as repos
            from ({days_sql}), unnest([{types}]) u(t);
            create table analytics.bot_share_daily as
            select day, event_type, (events * 0.3)::bigint as bot_events,
                   (events * 0.7)::bigint as human_events, 0.3 as bot_share
            from analytics.daily_event_counts;
            create table analytics.hourly_event_counts as
            select day, day::timestamp + to_hours(h::int) as hour, t as event_type,
                   (random() * 1e5)::bigint as events, 0 as actors, 0 as repos
            from ({days_sql}), range(24) r(h), unnest([{types}]) u(t);
            create table analytics.repo_activity_daily as
            select day, {key("repo_activity_daily")} as repo_key, 0 as repo_id,
                   'owner' || (i % 90000) || '/repo' || i as repo_name,
                   {heavy(5000)} as events, {heavy(400)} - 1 as stars,
                   {heavy(100)} - 1 as forks, {heavy(2500)} - 1 as pushes,
                   {heavy(250)} - 1 as pull_requests_opened, {heavy(150)} - 1 as issues_opened
            from ({days_sql}), range({n["repo_activity_daily"]}) r(i)
            order by day;
            create table analytics.contributors_daily as
            select day, {key("contributors_daily")} as actor_key, 0 as actor_id,
                   'user' || i as actor_login, i % 20 = 0 as is_bot,
                   {heavy(800)} as contributions,
                   (random() * 10)::bigint as pushes, 0 as commits_pushed,
                   (random() * 3)::bigint as pull_requests_opened, 0 as pull_requests_merged,
                   (random() * 3)::bigint as pull_request_reviews,
                   (random() * 2)::bigint as issues_opened, (random() * 5)::bigint as comments
            from ({days_sql}), range({n["contributors_daily"]}) r(i)
            order by day;
            create table analytics.org_activity_daily as
            select day, {key("org_activity_daily")} as org_key, 'org' || i as org_login,
                   {heavy(20000)} as events, (random() * 50)::bigint as actors,
                   (random() * 30)::bigint as repos
            from ({days_sql}), range({n["org_activity_daily"]}) r(i) order by day;
            create table analytics.pull_requests_daily as
            select day, (i * 7)::varchar as repo_key, 'owner/repo' || (i * 7) as repo_name,
                   (random() * 5)::bigint as opened, (random() * 4)::bigint as merged,
                   (random() * 5)::bigint as closed, 0 as closed_merge_unknown
            from ({days_sql}), range({n["pull_requests_daily"]}) r(i) order by day;
            create table analytics.pull_request_merges as
            select day, (i * 7)::varchar as repo_key, 'owner/repo' || (i * 7) as repo_name,
                   i as pull_request_number, random() * random() * 500 as hours_to_merge
            from ({days_sql}), range({n["pull_request_merges"]}) r(i) order by day;
            create table analytics.issues_daily as
            select day, (i * 7)::varchar as repo_key, 'owner/repo' || (i * 7) as repo_name,
                   (random() * 3)::bigint as opened, (random() * 3)::bigint as closed,
                   (random() * 9)::bigint as comments_on_issues
            from ({days_sql}), range({n["issues_daily"]}) r(i) order by day;
            create table analytics.issue_labels_daily as
            select day, 'label' || (i % 5000) as label, (random() * 100)::bigint as issue_events,
                   (random() * 20)::bigint as issues_opened,
                   (random() * 100)::bigint as pull_request_events
            from ({days_sql}), range({n["issue_labels_daily"]}) r(i) order by day;
            create table analytics.releases_daily as
            select day, (i * 13)::varchar as repo_key, 'owner/repo' || (i * 13) as repo_name,
                   (1 + random() * 3)::bigint as releases, 'v1.' || i as latest_tag
            from ({days_sql}), range({n["releases_daily"]}) r(i) order by day;
            create table analytics.new_repositories_daily as
            select day, (i * 17)::varchar as repo_key, 'someone/new' || i as repo_name,
                   day::timestamp + to_seconds(i % 86400) as created_at,
                   'someone' as created_by, null::varchar as org_login
            from ({days_sql}), range({n["new_repositories_daily"]}) r(i) order by day;
            create table analytics.coverage_hourly as
            select day::timestamp + to_hours(h::int) as archive_hour, day, 200000 as events,
                   false as is_missing, h = 3 as is_degraded
            from ({days_sql}), range(24) r(h);
            create table analytics.coverage_daily as
            select day, 24 as hours_loaded, 0 as hours_missing_at_source,
                   1 as hours_degraded, 4800000 as events, 0.31 as capture_ratio,
                   true as is_degraded
            from ({days_sql});
        """)


# What each view asks for (app.py), in order.
VIEWS = {
    "overview": [
        ("headline", ()),
        ("top_repositories", ("events", 10)),
        ("coverage", ()),
        ("events_by_hour|events_by_type", ()),
        ("hour_coverage", ()),
        ("bot_share", ()),
    ],
    "repositories": [("top_repositories", ("stars", 10)), ("repository_history", None)],
    # repository_history: of the list's first repository, as the view's select box picks.
    "people": [("top_people", (10,)), ("top_organisations", (10,))],
    "pull-requests": [
        ("coverage", ()),
        ("pull_requests", ()),
        ("time_to_merge", ()),
        ("issues", ()),
        ("labels", (10,)),
    ],
    "releases": [("releases", (10,)), ("new_repositories", (10,))],
    "coverage": [("coverage", ())],
}


def time_view(marts: MartsReader, filters: Filters, calls) -> float:
    started = time.perf_counter()
    answer = None
    for method, arguments in calls:
        if "|" in method:
            method = method.split("|")[filters.first != filters.last]
        if arguments is None:  # the first repository of the list just read
            arguments = (answer["repository"].iloc[0],)
        answer = getattr(marts, method)(filters, *arguments)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--out", type=Path, default=Path("bench/out/dashboard"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "warehouse.duckdb"
    path.unlink(missing_ok=True)
    started = time.perf_counter()
    build(path, args.days, args.scale)
    size = path.stat().st_size
    print(f"built {args.days} days of 2024-size marts (x{args.scale:g}) in "
          f"{time.perf_counter() - started:.0f} s: {size / 2**30:.2f} GiB")  # fmt: skip
    marts = MartsReader(DuckDBWarehouseResource(path=str(path)), "duckdb")
    last = FIRST + timedelta(days=args.days - 1)
    ranges = {
        "latest day": Filters(last, last),
        "a week": Filters(last - timedelta(days=6), last),
        f"{args.days} days": Filters(FIRST, last),
    }
    for prune, label in (
        (False, "every key aggregated"),
        (True, "top lists pruned (MartsReader.top)"),
    ):
        marts.prune_top_lists = prune
        print(f"\n{label}\n{'view':16}" + "".join(f"{name:>14}" for name in ranges))
        for view, calls in VIEWS.items():
            cells = []
            for filters in ranges.values():
                time_view(marts, filters, calls)  # the file's pages in the OS cache
                cells.append(min(time_view(marts, filters, calls) for _ in range(3)))
            print(f"{view:16}" + "".join(f"{seconds:>12.3f} s" for seconds in cells))


if __name__ == "__main__":
    main()
