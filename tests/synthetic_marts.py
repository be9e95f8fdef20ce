"""Daily marts at 2024's row counts, made straight in DuckDB, and their
rollups built by the project's own dbt models.

bench/dashboard.py times the dashboard's views on them at any scale, and
tests/test_dashboard_queries.py checks on a small copy that every view gives
the same answer from the rollups as from the days alone. The tables have the
columns the dashboard and the rollups read, rows in key order within a day
(as the project's marts write them), and one row per key and day.
"""

from __future__ import annotations

import json
import subprocess
from datetime import date
from pathlib import Path

import duckdb

from gharchive_assets.core.dbt_project import DBT_PROJECT_DIR, dbt_executable

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
# The project's rollups (dbt_project/models/marts/rollups and coverage_monthly).
ROLLUP_SELECTOR = "path:models/marts/rollups coverage_monthly"


def build_daily_marts(path: Path, first: date, days: int, scale: float) -> None:
    """The daily marts the dashboard and the rollups read, ``days`` days from
    ``first``, at ``scale`` times 2024's rows a day."""
    n = {name: max(10, int(rows * scale)) for name, rows in PER_DAY.items()}

    def key(mart: str) -> str:
        """A fifth of a day's keys are active every day (the same repositories,
        people, organisations), the rest come and go: about 3x as many keys a
        month as a day. Distinct within a day."""
        regulars, size = n[mart] // 5, n[mart]
        return (
            f"(case when i < {regulars} then i else {regulars} + "
            f"(i - {regulars} + d * 7919) % {3 * size - regulars} end)"
        )

    def heavy(top: int) -> str:
        """A long tail: the i-th busiest key does about top / (i + 1)^0.8 a day."""
        return f"greatest(1, ({top} / pow(i + 1, 0.8) * (0.5 + random())))::bigint"

    def keyed(mart: str, columns: str, extra: str = "") -> str:
        """Rows of ``mart``: ``columns`` over (day, i, k), k the day's key of row i."""
        return (
            f"select {columns} from (select day, d, i, {key(mart)} as k from ({days_sql}), "
            f"range({n[mart]}) r(i)){extra} order by day, k::varchar"
        )

    types = ", ".join(f"'{t}'" for t in TYPES)
    days_sql = f"select (date '{first}' + d::int) as day, d from range({days}) t(d)"
    with duckdb.connect(str(path)) as db:
        db.execute("create schema if not exists analytics")
        db.execute(f"""
            create table analytics.bot_share_daily as
            select day, t as event_type, (random() * 6e5)::bigint as bot_events,
                   (random() * 1.4e6)::bigint as human_events, 0.3 as bot_share
            from ({days_sql}), unnest([{types}]) u(t);
            create table analytics.daily_event_counts as
            select day, event_type, bot_events + human_events as events,
                   (random() * 5e5)::bigint as actors, (random() * 5e5)::bigint as repos
            from analytics.bot_share_daily;
            create table analytics.hourly_event_counts as
            select day, day::timestamp + to_hours(h::int) as hour, t as event_type,
                   (random() * 1e5)::bigint as events, 0 as actors, 0 as repos
            from ({days_sql}), range(24) r(h), unnest([{types}]) u(t);
            create table analytics.repo_activity_daily as
            {
            keyed(
                "repo_activity_daily",
                f'''day, k::varchar as repo_key, k as repo_id,
                   'owner' || (k % 90000) || '/repo' || k as repo_name,
                   {heavy(5000)} as events, {heavy(400)} - 1 as stars,
                   {heavy(100)} - 1 as forks, {heavy(2500)} - 1 as pushes,
                   {heavy(250)} - 1 as pull_requests_opened,
                   {heavy(150)} - 1 as issues_opened''',
            )
        };
            create table analytics.contributors_daily as
            {
            keyed(
                "contributors_daily",
                f'''day, k::varchar as actor_key, k as actor_id,
                   'user' || k as actor_login, i % 20 = 0 as is_bot,
                   {heavy(800)} as contributions,
                   (random() * 10)::bigint as pushes, 0 as commits_pushed,
                   (random() * 3)::bigint as pull_requests_opened, 0 as pull_requests_merged,
                   (random() * 3)::bigint as pull_request_reviews,
                   (random() * 2)::bigint as issues_opened, (random() * 5)::bigint as comments''',
            )
        };
            create table analytics.org_activity_daily as
            {
            keyed(
                "org_activity_daily",
                f'''day, k::varchar as org_key, 'org' || k as org_login,
                   {heavy(20000)} as events, (random() * 50)::bigint as actors,
                   (random() * 30)::bigint as repos''',
            )
        };
            create table analytics.pull_requests_daily as
            {
            keyed(
                "pull_requests_daily",
                '''day, (k * 7)::varchar as repo_key,
                   'owner' || (k * 7 % 90000) || '/repo' || (k * 7) as repo_name,
                   (random() * 5)::bigint as opened, (random() * 4)::bigint as merged,
                   (random() * 5)::bigint as closed, 0 as closed_merge_unknown''',
            )
        };
            create table analytics.pull_request_merges as
            select day, (i * 7)::varchar as repo_key, 'owner/repo' || (i * 7) as repo_name,
                   i as pull_request_number, random() * random() * 500 as hours_to_merge
            from ({days_sql}), range({n["pull_request_merges"]}) r(i) order by day;
            create table analytics.issues_daily as
            {
            keyed(
                "issues_daily",
                '''day, (k * 7)::varchar as repo_key,
                   'owner' || (k * 7 % 90000) || '/repo' || (k * 7) as repo_name,
                   (random() * 3)::bigint as opened, (random() * 3)::bigint as closed,
                   (random() * 9)::bigint as comments_on_issues''',
            )
        };
            create table analytics.issue_labels_daily as
            select day, 'label' || i as label, (random() * 100)::bigint as issue_events,
                   (random() * 20)::bigint as issues_opened,
                   (random() * 100)::bigint as pull_request_events
            from ({days_sql}), range({n["issue_labels_daily"]}) r(i) order by day;
            create table analytics.releases_daily as
            {
            keyed(
                "releases_daily",
                '''day, (k * 13)::varchar as repo_key,
                   'owner' || (k * 13 % 90000) || '/repo' || (k * 13) as repo_name,
                   (1 + random() * 3)::bigint as releases, 'v1.' || i as latest_tag''',
            )
        };
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
            -- Names never change here: a row per repository and day.
            create table analytics.dim_repos_by_day as
            select day, repo_key, repo_name, repo_id, day::timestamp as first_seen_at,
                   day::timestamp as last_seen_at
            from analytics.repo_activity_daily;
            create table analytics.repo_stars_daily (day date, repo_id bigint, repo_name varchar,
                archive_stars bigint, github_stars bigint);
        """)


def build_rollups(path: Path, work: Path) -> None:
    """The rollups of the marts in ``path``, built by ``dbt run`` of the
    project's rollup models, as a first build (every month) would."""
    path, work = path.resolve(), work.resolve()  # dbt resolves relative paths in its project
    completed = subprocess.run(
        [
            dbt_executable(), "run", "--select", *ROLLUP_SELECTOR.split(),
            "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target", "local", "--target-path", str(work / "target"),
            "--log-path", str(work / "logs"),
            "--vars", json.dumps({"duckdb_path": str(path)}),
        ],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if completed.returncode != 0:
        raise RuntimeError(f"dbt run of the rollups failed:\n{completed.stdout}{completed.stderr}")
