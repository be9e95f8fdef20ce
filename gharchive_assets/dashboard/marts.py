"""What the dashboard shows, read from the dbt marts only (never ``events``).

One method per figure, each one query over day-grained marts filtered by the
chosen days, so a view costs the same after years of history as after a week.
The SQL is the same on DuckDB and BigQuery (positional ``?`` parameters); the
two differences, percentiles and the case-insensitive search, are spelled
per warehouse here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from gharchive_assets.resources.warehouse import WarehouseResource


@dataclass(frozen=True)
class Filters:
    """The sidebar's choices: a range of UTC days (inclusive), event types
    (empty: all), bots in or out, and text searched in repository and
    organisation names."""

    first: date
    last: date
    event_types: tuple[str, ...] = ()
    with_bots: bool = True
    repo_search: str = ""
    org_search: str = ""

    @property
    def days(self) -> list[date]:
        return [self.first, self.last]


class Marts:
    """The dashboard's queries over one warehouse's analytics schema (or dataset)."""

    def __init__(self, warehouse: WarehouseResource, kind: str):
        self.warehouse = warehouse
        self.kind = kind  # "duckdb" or "bigquery"
        self.schema = warehouse.analytics_schema

    def frame(self, sql: str, parameters: list, columns: list[str]) -> pd.DataFrame:
        rows = self.warehouse.query(sql.format(a=self.schema), parameters)
        return pd.DataFrame(rows, columns=columns)

    def _percentile(self, column: str, fraction: float) -> str:
        if self.kind == "bigquery":
            return f"approx_quantiles({column}, 100)[offset({round(fraction * 100)})]"
        return f"quantile_cont({column}, {fraction})"

    @staticmethod
    def _types(filters: Filters, column: str = "event_type") -> tuple[str, list]:
        if not filters.event_types:
            return "", []
        marks = ", ".join("?" for _ in filters.event_types)
        return f" and {column} in ({marks})", list(filters.event_types)

    @staticmethod
    def _search(column: str, text: str) -> tuple[str, list]:
        if not text.strip():
            return "", []
        return f" and lower({column}) like ?", [f"%{text.strip().lower()}%"]

    # The range the data allows.
    def loaded_days(self) -> tuple[date | None, date | None]:
        """The first and last day with events in the marts."""
        (row,) = self.warehouse.query(
            f"select min(day), max(day) from {self.schema}.daily_event_counts"
        )
        return row[0], row[1]

    def event_types(self) -> list[str]:
        return [
            name
            for (name,) in self.warehouse.query(
                f"select distinct event_type from {self.schema}.daily_event_counts "
                "order by event_type"
            )
        ]

    # Overview.
    def headline(self, filters: Filters) -> dict:
        """Events, bots' share and actors over the range (types filtered)."""
        where, types = self._types(filters)
        (row,) = self.warehouse.query(
            f"select coalesce(sum(bot_events), 0), coalesce(sum(human_events), 0) "
            f"from {self.schema}.bot_share_daily where day between ? and ?{where}",
            [*filters.days, *types],
        )
        bots, people = row
        return {"events": bots + people, "bot_events": bots, "human_events": people}

    def events_by_type(self, filters: Filters) -> pd.DataFrame:
        """Events per day and type; without bots, people's events only."""
        where, types = self._types(filters)
        measure = "bot_events + human_events" if filters.with_bots else "human_events"
        return self.frame(
            f"select day, event_type, {measure} from {{a}}.bot_share_daily "
            f"where day between ? and ?{where} order by day, event_type",
            [*filters.days, *types],
            ["day", "event_type", "events"],
        )

    def events_by_hour(self, filters: Filters) -> pd.DataFrame:
        """Events per hour (of created_at) and type: the view of a single day."""
        where, types = self._types(filters)
        return self.frame(
            f"select hour, event_type, events from {{a}}.hourly_event_counts "
            f"where day between ? and ?{where} order by hour, event_type",
            [*filters.days, *types],
            ["hour", "event_type", "events"],
        )

    def hour_coverage(self, filters: Filters) -> pd.DataFrame:
        """The loaded archive hours of the range: an hour absent here is not
        loaded, which is not the same as an hour loaded with no events."""
        return self.frame(
            "select archive_hour, events, is_missing, is_degraded from {a}.coverage_hourly "
            "where day between ? and ? order by archive_hour",
            filters.days,
            ["archive_hour", "events", "is_missing", "is_degraded"],
        )

    def bot_share(self, filters: Filters) -> pd.DataFrame:
        where, types = self._types(filters)
        return self.frame(
            "select day, sum(bot_events), sum(bot_events + human_events), "
            "sum(bot_events) / sum(bot_events + human_events) "
            f"from {{a}}.bot_share_daily where day between ? and ?{where} "
            "group by day order by day",
            [*filters.days, *types],
            ["day", "bot_events", "events", "bot_share"],
        )

    # Repositories.
    def top_repositories(self, filters: Filters, by: str, limit: int) -> pd.DataFrame:
        """The busiest repositories of the range by events, stars or forks."""
        if by not in ("events", "stars", "forks"):
            raise ValueError(f"top repositories by events, stars or forks, not {by!r}")
        where, search = self._search("repo_name", filters.repo_search)
        return self.frame(
            "select max_by(repo_name, day), sum(events), sum(stars), sum(forks), "
            "sum(pushes), sum(pull_requests_opened), sum(issues_opened) "
            f"from {{a}}.repo_activity_daily where day between ? and ?{where} "
            f"group by repo_key order by sum({by}) desc, 1 limit {int(limit)}",
            [*filters.days, *search],
            ["repository", "events", "stars", "forks", "pushes", "pull_requests", "issues"],
        )

    def repository_history(self, filters: Filters, repo_name: str) -> pd.DataFrame:
        """One repository's days: stars, forks, pull requests, issues, releases."""
        return self.frame(
            "with activity as (select day, sum(stars) as stars, sum(forks) as forks, "
            "sum(events) as events from {a}.repo_activity_daily "
            "where day between ? and ? and repo_name = ? group by day), "
            "prs as (select day, sum(opened) as opened, sum(merged) as merged "
            "from {a}.pull_requests_daily where day between ? and ? and repo_name = ? "
            "group by day), "
            "issues as (select day, sum(opened) as opened from {a}.issues_daily "
            "where day between ? and ? and repo_name = ? group by day), "
            "releases as (select day, sum(releases) as releases from {a}.releases_daily "
            "where day between ? and ? and repo_name = ? group by day) "
            "select activity.day, activity.events, activity.stars, activity.forks, "
            "coalesce(prs.opened, 0), coalesce(prs.merged, 0), coalesce(issues.opened, 0), "
            "coalesce(releases.releases, 0) from activity "
            "left join prs on prs.day = activity.day "
            "left join issues on issues.day = activity.day "
            "left join releases on releases.day = activity.day order by activity.day",
            [*filters.days, repo_name] * 4,
            [
                "day",
                "events",
                "stars",
                "forks",
                "pull_requests_opened",
                "pull_requests_merged",
                "issues_opened",
                "releases",
            ],
        )

    # People and organisations.
    def top_people(self, filters: Filters, limit: int) -> pd.DataFrame:
        """Contributors of the range (anything but stars and forks); bots only
        when the filter keeps them."""
        bots = "" if filters.with_bots else " and not is_bot"
        return self.frame(
            "select max_by(actor_login, day), sum(contributions), sum(pushes), "
            "sum(pull_requests_opened), sum(pull_request_reviews), sum(issues_opened), "
            "sum(comments), max(case when is_bot then 1 else 0 end) "
            f"from {{a}}.contributors_daily where day between ? and ?{bots} "
            f"group by actor_key order by 2 desc, 1 limit {int(limit)}",
            filters.days,
            [
                "login",
                "contributions",
                "pushes",
                "pull_requests",
                "reviews",
                "issues",
                "comments",
                "bot",
            ],
        )

    def top_organisations(self, filters: Filters, limit: int) -> pd.DataFrame:
        where, search = self._search("org_login", filters.org_search)
        return self.frame(
            "select max_by(org_login, day), sum(events), max(actors), max(repos) "
            f"from {{a}}.org_activity_daily where day between ? and ?{where} "
            f"group by org_key order by 2 desc, 1 limit {int(limit)}",
            [*filters.days, *search],
            ["organisation", "events", "most_actors_in_a_day", "most_repos_in_a_day"],
        )

    # Pull requests, issues, releases, new repositories.
    def pull_requests(self, filters: Filters) -> pd.DataFrame:
        where, search = self._search("repo_name", filters.repo_search)
        return self.frame(
            "select day, sum(opened), sum(merged), sum(closed_merge_unknown) "
            f"from {{a}}.pull_requests_daily where day between ? and ?{where} "
            "group by day order by day",
            [*filters.days, *search],
            ["day", "opened", "merged", "closed_merge_unknown"],
        )

    def time_to_merge(self, filters: Filters) -> pd.DataFrame:
        """Median and 90th percentile of hours to merge per day, over the
        merges whose payload still carries the times."""
        where, search = self._search("repo_name", filters.repo_search)
        return self.frame(
            f"select day, count(hours_to_merge), {self._percentile('hours_to_merge', 0.5)}, "
            f"{self._percentile('hours_to_merge', 0.9)} from {{a}}.pull_request_merges "
            f"where day between ? and ? and hours_to_merge is not null{where} "
            "group by day order by day",
            [*filters.days, *search],
            ["day", "merges_with_times", "median_hours", "p90_hours"],
        )

    def issues(self, filters: Filters) -> pd.DataFrame:
        where, search = self._search("repo_name", filters.repo_search)
        return self.frame(
            "select day, sum(opened), sum(closed), sum(comments_on_issues) "
            f"from {{a}}.issues_daily where day between ? and ?{where} group by day order by day",
            [*filters.days, *search],
            ["day", "opened", "closed", "comments"],
        )

    def labels(self, filters: Filters, limit: int) -> pd.DataFrame:
        return self.frame(
            "select label, sum(issue_events), sum(issues_opened), sum(pull_request_events) "
            "from {a}.issue_labels_daily where day between ? and ? "
            "group by label order by sum(issue_events) + sum(pull_request_events) desc, label "
            f"limit {int(limit)}",
            filters.days,
            ["label", "issue_events", "issues_opened", "pull_request_events"],
        )

    def releases(self, filters: Filters, limit: int) -> pd.DataFrame:
        where, search = self._search("repo_name", filters.repo_search)
        return self.frame(
            "select max_by(repo_name, day), sum(releases), max_by(latest_tag, day) "
            f"from {{a}}.releases_daily where day between ? and ?{where} "
            f"group by repo_key order by 2 desc, 1 limit {int(limit)}",
            [*filters.days, *search],
            ["repository", "releases", "latest_tag"],
        )

    def new_repositories(self, filters: Filters, limit: int) -> pd.DataFrame:
        where, search = self._search("repo_name", filters.repo_search)
        return self.frame(
            "select repo_name, created_by, org_login, created_at "
            f"from {{a}}.new_repositories_daily where day between ? and ?{where} "
            f"order by created_at desc, repo_name limit {int(limit)}",
            [*filters.days, *search],
            ["repository", "created_by", "organisation", "created_at"],
        )

    # Coverage.
    def coverage(self, filters: Filters) -> pd.DataFrame:
        """coverage_daily over the range: a day the marts have not heard of has
        no row (no hour loaded), which the caller shows as not loaded."""
        return self.frame(
            "select day, hours_loaded, hours_missing_at_source, hours_degraded, events, "
            "capture_ratio, is_degraded from {a}.coverage_daily "
            "where day between ? and ? order by day",
            filters.days,
            [
                "day",
                "hours_loaded",
                "hours_missing_at_source",
                "hours_degraded",
                "events",
                "capture_ratio",
                "is_degraded",
            ],
        )
