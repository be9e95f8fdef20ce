"""The one reader of the dbt marts: the daily report and the dashboard ask it.

Every figure is one query over day-grained marts filtered by days, so it
costs the same after years of history as after a week. Never ``events``.

One placeholder style: SQL is written as plain strings where ``{analytics}``
is the analytics schema (DuckDB) or dataset (BigQuery) and other ``{name}``
fields are SQL fragments built here; values always go as positional ``?``
parameters. The SQL is the same on both warehouses but for percentiles,
spelled per warehouse.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from gharchive_assets.reporting.daily_report import DayCoverage, DayFigures
from gharchive_assets.warehouse.resource import WarehouseResource

REPORT_TOP = 10


@dataclass(frozen=True)
class Filters:
    """The dashboard's choices: a range of UTC days (inclusive), event types
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


class MartsReader:
    """Queries over one warehouse's analytics schema (or dataset)."""

    prune_top_lists = True
    """False: every top list aggregates every key (bench/dashboard.py's baseline)."""

    def __init__(self, warehouse: WarehouseResource, kind: str = "duckdb"):
        self.warehouse = warehouse
        self.kind = kind  # "duckdb" or "bigquery"
        self.schema = warehouse.analytics_schema

    # The one place SQL is completed and sent.
    def rows(self, sql: str, parameters: list | tuple = (), **fragments: str) -> list[tuple]:
        return self.warehouse.query(
            sql.format(analytics=self.schema, **fragments), list(parameters)
        )

    def frame(
        self, sql: str, parameters: list | tuple, columns: list[str], **fragments: str
    ) -> pd.DataFrame:
        return pd.DataFrame(self.rows(sql, parameters, **fragments), columns=columns)

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
        parts = {
            "table": table,
            "key": key,
            "selected": columns,
            "measure": measure,
            "where": where,
            "limit": str(int(limit)),
            "offset": str(int(limit) - 1),
        }
        in_range = "from {analytics}.{table} where day between ? and ?{where}"

        def ranked(candidates: str = "", candidate_parameters: tuple = ()) -> pd.DataFrame:
            return self.frame(
                "select {selected} " + in_range + "{candidates} group by {key} "
                "order by sum({measure}) desc, 1 limit {limit}",
                [*scope, *candidate_parameters],
                names,
                candidates=candidates,
                **parts,
            )

        def nth_largest(days_of: str, values: list) -> float | None:
            """The ``limit``-th largest value of ``measure`` on those days."""
            found = self.rows(
                "select {measure} from {analytics}.{table} where {days_of}{where} "
                "order by 1 desc limit 1 offset {offset}",
                values,
                days_of=days_of,
                **parts,
            )
            return float(found[0][0]) if found and found[0][0] else None

        if not self.prune_top_lists:
            return ranked()
        bound = nth_largest("day = ?", [filters.last, *parameters])
        threshold = bound / days if bound else None
        if threshold is None:
            threshold = nth_largest("day between ? and ?", scope)
            bound = days * threshold if threshold else None
        candidates = (" and {key} in (select {key} " + in_range + " and {measure} >= ?)").format(
            analytics=self.schema, **parts
        )
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
        ((first, last),) = self.rows(
            "select min(day), max(day) from {analytics}.daily_event_counts"
        )
        return first, last

    def event_types(self) -> list[str]:
        return [
            name
            for (name,) in self.rows(
                "select distinct event_type from {analytics}.daily_event_counts order by event_type"
            )
        ]

    # The daily report: one day.
    def day_figures(self, day: date, top: int = REPORT_TOP) -> DayFigures:
        """The report's rows for ``day``."""
        on_day = [day]
        return DayFigures(
            day=day,
            hourly=self.rows(
                "select hour, event_type, events from {analytics}.hourly_event_counts "
                "where day = ? order by hour, event_type",
                on_day,
            ),
            top_repos=self.rows(
                "select repo_name, events, stars, forks, pushes from "
                "{analytics}.repo_activity_daily where day = ? "
                "order by events desc, repo_name limit {top}",
                on_day,
                top=str(int(top)),
            ),
            top_people=self.rows(
                "select actor_login, contributions, pushes, pull_requests_opened, "
                "issues_opened from {analytics}.contributors_daily where day = ? and not is_bot "
                "order by contributions desc, actor_login limit {top}",
                on_day,
                top=str(int(top)),
            ),
            top_bots=self.rows(
                "select actor_login, contributions from {analytics}.contributors_daily "
                "where day = ? and is_bot order by contributions desc, actor_login limit {top}",
                on_day,
                top=str(int(top)),
            ),
            bot_share=self.rows(
                "select event_type, bot_events, human_events from {analytics}.bot_share_daily "
                "where day = ? order by bot_events + human_events desc, event_type",
                on_day,
            ),
            coverage=self.day_coverage(day),
        )

    def day_coverage(self, day: date) -> DayCoverage:
        """The day's row of coverage_daily and its hours: which are loaded, which
        degraded or missing at the source."""
        found = self.rows(
            "select capture_ratio from {analytics}.coverage_daily where day = ?", [day]
        )
        hours = self.rows(
            "select archive_hour, is_missing, is_degraded from {analytics}.coverage_hourly "
            "where day = ? order by archive_hour",
            [day],
        )
        return DayCoverage.of_hours(hours, found[0][0] if found else None)

    def report_index(self, days: set[date]) -> list[tuple]:
        """(day, events, degraded) of every reported day: its distinct events as
        the report counts them, and whether coverage_daily distrusts it."""
        span = [min(days), max(days)]
        events = dict(
            self.rows(
                "select day, sum(events) from {analytics}.daily_event_counts "
                "where day between ? and ? group by day",
                span,
            )
        )
        distrusted = dict(
            self.rows(
                "select day, is_degraded or hours_loaded < 24 from {analytics}.coverage_daily "
                "where day between ? and ?",
                span,
            )
        )
        return [(day, events.get(day), distrusted.get(day, True)) for day in days]

    # Overview.
    def headline(self, filters: Filters) -> dict:
        """Events, bots' share and actors over the range (types filtered)."""
        where, types = self._types(filters)
        ((bots, people),) = self.rows(
            "select coalesce(sum(bot_events), 0), coalesce(sum(human_events), 0) "
            "from {analytics}.bot_share_daily where day between ? and ?{where}",
            [*filters.days, *types],
            where=where,
        )
        return {"events": bots + people, "bot_events": bots, "human_events": people}

    def events_by_type(self, filters: Filters) -> pd.DataFrame:
        """Events per day and type; without bots, people's events only."""
        where, types = self._types(filters)
        return self.frame(
            "select day, event_type, {measure} from {analytics}.bot_share_daily "
            "where day between ? and ?{where} order by day, event_type",
            [*filters.days, *types],
            ["day", "event_type", "events"],
            measure="bot_events + human_events" if filters.with_bots else "human_events",
            where=where,
        )

    def events_by_hour(self, filters: Filters) -> pd.DataFrame:
        """Events per hour (of created_at) and type: the view of a single day."""
        where, types = self._types(filters)
        return self.frame(
            "select hour, event_type, events from {analytics}.hourly_event_counts "
            "where day between ? and ?{where} order by hour, event_type",
            [*filters.days, *types],
            ["hour", "event_type", "events"],
            where=where,
        )

    def hour_coverage(self, filters: Filters) -> pd.DataFrame:
        """The loaded archive hours of the range: an hour absent here is not
        loaded, which is not the same as an hour loaded with no events."""
        return self.frame(
            "select archive_hour, is_missing, is_degraded from {analytics}.coverage_hourly "
            "where day between ? and ? order by archive_hour",
            filters.days,
            ["archive_hour", "is_missing", "is_degraded"],
        )

    def bot_share(self, filters: Filters) -> pd.DataFrame:
        where, types = self._types(filters)
        return self.frame(
            "select day, sum(bot_events), sum(bot_events + human_events), "
            "sum(bot_events) / sum(bot_events + human_events) "
            "from {analytics}.bot_share_daily where day between ? and ?{where} "
            "group by day order by day",
            [*filters.days, *types],
            ["day", "bot_events", "events", "bot_share"],
            where=where,
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
            "sum(events) as events from {analytics}.repo_activity_daily "
            "where day between ? and ? and repo_name = ? group by day), "
            "prs as (select day, sum(opened) as opened, sum(merged) as merged "
            "from {analytics}.pull_requests_daily where day between ? and ? and repo_name = ? "
            "group by day), "
            "issues as (select day, sum(opened) as opened from {analytics}.issues_daily "
            "where day between ? and ? and repo_name = ? group by day), "
            "releases as (select day, sum(releases) as releases from {analytics}.releases_daily "
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
            "" if filters.with_bots else " and not is_bot",
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
            "from {analytics}.pull_requests_daily where day between ? and ?{where} "
            "group by day order by day",
            [*filters.days, *search],
            ["day", "opened", "merged", "closed_merge_unknown"],
            where=where,
        )

    def time_to_merge(self, filters: Filters) -> pd.DataFrame:
        """Median and 90th percentile of hours to merge per day, over the
        merges whose payload still carries the times."""
        where, search = self._search("repo_name", filters.repo_search)
        return self.frame(
            "select day, count(hours_to_merge), {median}, {p90} "
            "from {analytics}.pull_request_merges "
            "where day between ? and ? and hours_to_merge is not null{where} "
            "group by day order by day",
            [*filters.days, *search],
            ["day", "merges_with_times", "median_hours", "p90_hours"],
            median=self._percentile("hours_to_merge", 0.5),
            p90=self._percentile("hours_to_merge", 0.9),
            where=where,
        )

    def issues(self, filters: Filters) -> pd.DataFrame:
        where, search = self._search("repo_name", filters.repo_search)
        return self.frame(
            "select day, sum(opened), sum(closed), sum(comments_on_issues) "
            "from {analytics}.issues_daily where day between ? and ?{where} "
            "group by day order by day",
            [*filters.days, *search],
            ["day", "opened", "closed", "comments"],
            where=where,
        )

    def labels(self, filters: Filters, limit: int) -> pd.DataFrame:
        return self.frame(
            "select label, sum(issue_events), sum(issues_opened), sum(pull_request_events) "
            "from {analytics}.issue_labels_daily where day between ? and ? "
            "group by label order by sum(issue_events) + sum(pull_request_events) desc, label "
            "limit {limit}",
            filters.days,
            ["label", "issue_events", "issues_opened", "pull_request_events"],
            limit=str(int(limit)),
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
            "from {analytics}.new_repositories_daily where day between ? and ?{where} "
            "order by created_at desc, repo_name limit {limit}",
            [*filters.days, *search],
            ["repository", "created_by", "organisation", "created_at"],
            where=where,
            limit=str(int(limit)),
        )

    # Coverage.
    def coverage(self, filters: Filters) -> pd.DataFrame:
        """coverage_daily over the range: a day the marts have not heard of has
        no row (no hour loaded), which the caller shows as not loaded."""
        return self.frame(
            "select day, hours_loaded, hours_missing_at_source, hours_degraded, events, "
            "capture_ratio, is_degraded from {analytics}.coverage_daily "
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
