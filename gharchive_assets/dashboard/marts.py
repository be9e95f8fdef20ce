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

    prune_top_lists = True
    """False: every top list aggregates every key (bench/dashboard.py's baseline)."""

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

    def top(
        self,
        table: str,
        key: str,
        columns: str,
        measure: str,
        names: list[str],
        filters: Filters,
        limit: int,
        where: str = "",
        parameters: tuple = (),
    ) -> pd.DataFrame:
        """The ``limit`` keys of ``table`` with the largest ``sum(measure)`` over
        the range (``columns`` as ``names``, the sum second), exactly as a
        full ``group by`` would rank them, without aggregating every key.

        The marts hold one row per key and day. A key whose every day is below
        ``t`` sums to less than days x t, so once ``limit`` keys with a day at
        ``t`` or more sum to at least that (the bound), no other key can enter
        the list. The bound: the last day's ``limit``-th largest value, which
        ``limit`` different keys reach on that day alone; ``t`` = bound / days
        then makes one aggregation of the candidates exact. Should the last
        day have too few keys, ``t`` starts at the range's ``limit``-th
        largest day and is tightened; a range of many keys each small falls
        back to the full aggregation. One aggregation of a few thousand
        candidates instead of millions of keys: see bench/dashboard.py.
        """
        days = (filters.last - filters.first).days + 1
        scope = [*filters.days, *parameters]
        relation = f"{self.schema}.{table}"
        rows = f"from {relation} where day between ? and ?{where}"

        def ranked(candidates: str = "", candidate_parameters: tuple = ()) -> pd.DataFrame:
            return self.frame(
                f"select {columns} {rows}{candidates} group by {key} "
                f"order by sum({measure}) desc, 1 limit {int(limit)}",
                [*scope, *candidate_parameters],
                names,
            )

        def nth_largest(days_of: str, values: list) -> float | None:
            """The ``limit``-th largest value of ``measure`` on those days."""
            found = self.warehouse.query(
                f"select {measure} from {relation} where {days_of}{where} "
                f"order by 1 desc limit 1 offset {int(limit) - 1}",
                values,
            )
            return float(found[0][0]) if found and found[0][0] else None

        if not self.prune_top_lists:
            return ranked()
        bound = nth_largest("day = ?", [filters.last, *parameters])
        threshold = bound / days if bound else None
        if threshold is None:
            threshold = nth_largest("day between ? and ?", scope)
            bound = days * threshold if threshold else None
        candidates = f" and {key} in (select {key} {rows} and {measure} >= ?)"
        for _ in range(4):
            if not threshold or threshold <= 0:
                break
            top = ranked(candidates, (*scope, threshold))
            if len(top) < limit:  # the largest days belong to fewer keys: widen
                threshold = threshold / 4 if threshold > 1 else 0
                bound = days * threshold
                continue
            reached = float(top[names[1]].iloc[-1])
            if reached >= bound:
                return top
            threshold, bound = reached / days, reached
        return ranked()

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
            "select archive_hour, is_missing, is_degraded from {a}.coverage_hourly "
            "where day between ? and ? order by archive_hour",
            filters.days,
            ["archive_hour", "is_missing", "is_degraded"],
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
        figures = ["events", "stars", "forks", "pushes", "pull_requests_opened", "issues_opened"]
        figures.remove(by)
        frame = self.top(
            "repo_activity_daily",
            "repo_key",
            f"max_by(repo_name, day), sum({by}), " + ", ".join(f"sum({f})" for f in figures),
            by,
            ["repository", by, *figures],
            filters,
            limit,
            where,
            tuple(search),
        )
        frame = frame.rename(
            columns={"pull_requests_opened": "pull_requests", "issues_opened": "issues"}
        )
        return frame[
            ["repository", "events", "stars", "forks", "pushes", "pull_requests", "issues"]
        ]

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
        return self.top(
            "contributors_daily",
            "actor_key",
            "max_by(actor_login, day), sum(contributions), sum(pushes), "
            "sum(pull_requests_opened), sum(pull_request_reviews), sum(issues_opened), "
            "sum(comments), max(case when is_bot then 1 else 0 end)",
            "contributions",
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
            filters,
            limit,
            bots,
        )

    def top_organisations(self, filters: Filters, limit: int) -> pd.DataFrame:
        where, search = self._search("org_login", filters.org_search)
        return self.top(
            "org_activity_daily",
            "org_key",
            "max_by(org_login, day), sum(events), max(actors), max(repos)",
            "events",
            ["organisation", "events", "most_actors_in_a_day", "most_repos_in_a_day"],
            filters,
            limit,
            where,
            tuple(search),
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
        return self.top(
            "releases_daily",
            "repo_key",
            "max_by(repo_name, day), sum(releases), max_by(latest_tag, day)",
            "releases",
            ["repository", "releases", "latest_tag"],
            filters,
            limit,
            where,
            tuple(search),
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
