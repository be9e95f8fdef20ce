"""The one reader of the dbt marts: the daily report and the dashboard ask it.

A range is read at the coarsest grain that is exact: its whole months from
the monthly rollups, the days at its edges from the daily marts
(reporting/ranges.py), so a year or all history costs about a day's view.
A repository's history is read by key, which the marts keep in order.
Never ``events``.

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
from gharchive_assets.reporting.ranges import MONTHLY_ROLLUPS, Span, charted_by_month, spans
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
    use_rollups = True
    """False: every range from the daily marts alone (the baseline, and what
    tests/test_dashboard_queries.py compares the rollups' answers with)."""

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

    def _month_of(self, column: str) -> str:
        if self.kind == "bigquery":
            # A DATE already; the cast keeps it one where an engine makes it a TIMESTAMP.
            return f"cast(date_trunc({column}, month) as date)"
        return f"cast(date_trunc('month', {column}) as date)"

    @staticmethod
    def _types(filters: Filters, column: str = "event_type") -> tuple[str, list]:
        if not filters.event_types:
            return "", []
        marks = ", ".join("?" for _ in filters.event_types)
        return f" and {column} in ({marks})", list(filters.event_types)

    @staticmethod
    def _search(column: str, text: str) -> tuple[str, list]:
        """Names containing ``text`` literally, any case: ``%`` and ``_`` are
        characters here, not LIKE's wildcards (strpos on both warehouses)."""
        if not text.strip():
            return "", []
        return f" and strpos(lower({column}), ?) > 0", [text.strip().lower()]

    def _repo_search(self, filters: Filters) -> tuple[str, list]:
        """Repositories whose name contains the search text literally, or whose
        name did on a day of the range (dim_repos_by_day keeps a row per name a
        repository went by each day): one renamed since is found by its old
        name. Bounded by the range's days, which both warehouses prune on."""
        if not filters.repo_search.strip():
            return "", []
        needle = filters.repo_search.strip().lower()
        return (
            " and (strpos(lower(repo_name), ?) > 0 or repo_key in (select repo_key from "
            f"{self.schema}.dim_repos_by_day where day >= ? and day <= ? "
            "and strpos(lower(repo_name), ?) > 0))",
            [needle, filters.first, filters.last, needle],
        )

    def latest_names(self, repo_keys: list[str], since: date) -> dict[str, str]:
        """The name each repository was last seen under from ``since`` to the
        latest loaded day: a repository renamed after the range shows its
        current name. Reads those days' rows of the keys (clustered by key)."""
        if not repo_keys:
            return {}
        marks = ", ".join("?" for _ in repo_keys)
        return dict(
            self.rows(
                "select repo_key, max_by(repo_name, last_seen_at) from "
                f"{{analytics}}.dim_repos_by_day where day >= ? and repo_key in ({marks}) "
                "group by repo_key",
                [since, *repo_keys],
            )
        )

    # Ranges: whole months from the rollups, the edges from the daily marts.
    def spans(self, table: str, filters: Filters, grain: str = "any") -> list[Span]:
        """How ``table``'s rows of the range are read: as whole months and
        edge days where it has a rollup (``grain`` "any" or "month"), as days
        otherwise (``grain`` "day", no rollup, or ``use_rollups`` off)."""
        monthly = grain != "day" and self.use_rollups and table in MONTHLY_ROLLUPS
        return spans(filters.first, filters.last, monthly)

    def ranged(
        self,
        table: str,
        columns: list[str],
        filters: Filters,
        where: str = "",
        parameters: list | tuple = (),
        grain: str = "any",
        daily: dict[str, str] | None = None,
        monthly: dict[str, str] | None = None,
    ) -> tuple[str, list]:
        """``table``'s rows of the range as a subquery (SQL, its values): a
        ``period`` column and ``columns``, one ``union all`` branch per span,
        each filtered by ``where`` (its values ``parameters``). ``period`` is
        the day or month the row sums; with ``grain`` "month", every row's
        month. ``last_day`` is the latest day a row sums (a rollup's own
        column): names are taken from it. ``daily`` and ``monthly`` give a
        column's expression where it differs between the daily mart and its
        rollup."""
        branches, values = [], []
        for span in self.spans(table, filters, grain):
            if span.grain == "month":
                source, column, period = MONTHLY_ROLLUPS[table], "month", "month"
                expressions = monthly or {}
            else:
                source, column = table, "day"
                period = self._month_of("day") if grain == "month" else "day"
                expressions = {"last_day": "day", **(daily or {})}
            selected = ", ".join(
                f"{expressions[name]} as {name}" if name in expressions else name
                for name in columns
            )
            branches.append(
                f"select {period} as period, {selected} from {self.schema}.{source} "
                f"where {column} between ? and ?{where}"
            )
            values += [span.first, span.last, *parameters]
        return "(" + " union all ".join(branches) + ") ranged", values

    def series_grain(self, filters: Filters) -> str:
        """ "month" when a chart of the range draws months, else "day"."""
        return "month" if charted_by_month(filters.first, filters.last) else "day"

    def top(
        self,
        table: str,
        key: str,
        shared: list[str],
        columns: str,
        measure: str,
        names: list[str],
        filters: Filters,
        limit: int,
        where: str = "",
        parameters: tuple = (),
        rows_per_period: int = 1,
        **expressions: dict[str, str],
    ) -> pd.DataFrame:
        """The ``limit`` keys of ``table`` with the largest ``sum(measure)`` over
        the range (``columns`` over the range's ``shared`` columns, named
        ``names``, the sum second), exactly as a full ``group by`` would rank
        them, without aggregating every key.

        The range is read as whole months of the rollup and edge days
        (:meth:`ranged`), each a row per key and period (``rows_per_period``
        where a key has more). A key whose every row is below ``t`` sums to
        less than rows x t, so once ``limit`` keys sum to at least that (the
        bound), no other key can enter the list. The bound: the ``limit``-th
        largest key of the range's last period, which ``limit`` different keys
        reach on that period alone; ``t`` = bound / rows then makes one
        aggregation of the candidates exact. Should the last period have too
        few keys, ``t`` starts at the range's ``limit``-th largest row and is
        tightened; a range of many keys each small falls back to the full
        aggregation. See bench/dashboard.py.
        """
        source, source_values = self.ranged(
            table, shared, filters, where, parameters, **expressions
        )
        pieces = self.spans(table, filters)
        rows = sum(span.periods for span in pieces) * rows_per_period
        parts = {
            "source": source,
            "key": key,
            "selected": columns,
            "measure": measure,
            "limit": str(int(limit)),
            "offset": str(int(limit) - 1),
        }

        def ranked(candidates: str = "", candidate_values: tuple = ()) -> pd.DataFrame:
            return self.frame(
                "select {selected} from {source}{candidates} group by {key} "
                "order by sum({measure}) desc, 1 limit {limit}",
                [*source_values, *candidate_values],
                names,
                candidates=candidates,
                **parts,
            )

        def nth_largest(sql: str, values: list) -> float | None:
            found = self.rows(sql, values, **parts)
            return float(found[0][0]) if found and found[0][0] else None

        if not self.prune_top_lists:
            return ranked()
        last = pieces[-1]
        last_table = MONTHLY_ROLLUPS[table] if last.grain == "month" else table
        last_column = "month" if last.grain == "month" else "day"
        per_key = f"sum({measure})" if rows_per_period > 1 else measure
        grouped = f" group by {key}" if rows_per_period > 1 else ""
        bound = nth_largest(
            f"select {per_key} from {self.schema}.{last_table} "
            f"where {last_column} = ?{where}{grouped} order by 1 desc limit 1 offset {{offset}}",
            [last.last, *parameters],
        )
        threshold = bound / rows if bound else None
        if threshold is None:
            threshold = nth_largest(
                "select {measure} from {source} order by 1 desc limit 1 offset {offset}",
                source_values,
            )
            bound = rows * threshold if threshold else None
        candidates = f" where {key} in (select {key} from {source} where {measure} >= ?)"
        for _ in range(4):
            if not threshold or threshold <= 0:
                break
            top = ranked(candidates, (*source_values, threshold))
            if len(top) < limit:  # the largest rows belong to fewer keys: widen
                threshold = threshold / 4 if threshold > 1 else 0
                bound = rows * threshold
                continue
            reached = float(top[names[1]].iloc[-1])
            if reached >= bound:
                return top
            threshold, bound = reached / rows, reached
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
        source, values = self.ranged(
            "bot_share_daily", ["bot_events", "human_events"], filters, where, types
        )
        ((bots, people),) = self.rows(
            "select coalesce(sum(bot_events), 0), coalesce(sum(human_events), 0) from {source}",
            values,
            source=source,
        )
        return {"events": bots + people, "bot_events": bots, "human_events": people}

    def events_by_type(self, filters: Filters) -> pd.DataFrame:
        """Events per day (per month over a long range) and type; without
        bots, people's events only. The first column is ``day`` or ``month``."""
        where, types = self._types(filters)
        grain = self.series_grain(filters)
        source, values = self.ranged(
            "bot_share_daily",
            ["event_type", "bot_events", "human_events"],
            filters,
            where,
            types,
            grain,
        )
        return self.frame(
            "select period, event_type, sum({measure}) from {source} "
            "group by period, event_type order by period, event_type",
            values,
            [grain, "event_type", "events"],
            measure="bot_events + human_events" if filters.with_bots else "human_events",
            source=source,
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
        """Bots' share of the events per day (per month over a long range)."""
        where, types = self._types(filters)
        grain = self.series_grain(filters)
        source, values = self.ranged(
            "bot_share_daily", ["bot_events", "human_events"], filters, where, types, grain
        )
        return self.frame(
            "select period, sum(bot_events), sum(bot_events + human_events), "
            "sum(bot_events) / nullif(sum(bot_events + human_events), 0) "
            "from {source} group by period order by period",
            values,
            [grain, "bot_events", "events", "bot_share"],
            source=source,
        )

    # Repositories.
    def top_repositories(self, filters: Filters, by: str, limit: int) -> pd.DataFrame:
        """The busiest repositories of the range by events, stars or forks,
        with their key (what :meth:`repository_history` takes)."""
        if by not in ("events", "stars", "forks"):
            raise ValueError(f"top repositories by events, stars or forks, not {by!r}")
        where, search = self._repo_search(filters)
        figures = ["events", "stars", "forks", "pushes", "pull_requests_opened", "issues_opened"]
        figures.remove(by)
        frame = self.top(
            "repo_activity_daily",
            "repo_key",
            ["repo_key", "repo_name", "last_day", by, *figures],
            f"max_by(repo_name, last_day), sum({by}), "
            + ", ".join(f"sum({f})" for f in figures)
            + ", repo_key",
            by,
            ["repository", by, *figures, "repo_key"],
            filters,
            limit,
            where,
            tuple(search),
        )
        frame = frame.rename(
            columns={"pull_requests_opened": "pull_requests", "issues_opened": "issues"}
        )
        latest = self.latest_names(list(frame["repo_key"]), filters.first)
        frame["repository"] = [
            latest.get(key, name)
            for key, name in zip(frame["repo_key"], frame["repository"], strict=True)
        ]
        github = self.github_stars(list(frame["repo_key"]), filters)
        # None (not NaN) where GitHub's count was not fetched: a blank, not a number.
        frame["github_stars"] = pd.Series(
            [github.get(key) for key in frame["repo_key"]], index=frame.index, dtype=object
        )
        return frame[
            [
                "repository",
                "events",
                "stars",
                "forks",
                "pushes",
                "pull_requests",
                "issues",
                "github_stars",
                "repo_key",
            ]
        ]

    def repository_history(self, filters: Filters, repo_key: str) -> pd.DataFrame:
        """One repository's days (months over a long range): events, stars,
        forks, pull requests, issues and releases. Read by key: the marts hold
        each day's or month's rows in key order (DuckDB) or clustered by key
        (BigQuery), so this reads a row group or block per period, not the
        range."""
        grain = self.series_grain(filters)
        sources, values = {}, []
        for name, table, columns in (
            ("activity", "repo_activity_daily", ["events", "stars", "forks"]),
            ("prs", "pull_requests_daily", ["opened", "merged"]),
            ("issues", "issues_daily", ["opened"]),
            ("releases", "releases_daily", ["releases"]),
        ):
            sources[name], found = self.ranged(
                table, columns, filters, " and repo_key = ?", [repo_key], grain
            )
            values += found
        return self.frame(
            "with activity as (select period, sum(stars) as stars, sum(forks) as forks, "
            "sum(events) as events from {activity} group by period), "
            "prs as (select period, sum(opened) as opened, sum(merged) as merged "
            "from {prs} group by period), "
            "issues as (select period, sum(opened) as opened from {issues} group by period), "
            "releases as (select period, sum(releases) as releases from {releases} "
            "group by period) "
            "select activity.period, activity.events, activity.stars, activity.forks, "
            "coalesce(prs.opened, 0), coalesce(prs.merged, 0), coalesce(issues.opened, 0), "
            "coalesce(releases.releases, 0) from activity "
            "left join prs on prs.period = activity.period "
            "left join issues on issues.period = activity.period "
            "left join releases on releases.period = activity.period order by activity.period",
            values,
            [
                grain,
                "events",
                "stars",
                "forks",
                "pull_requests_opened",
                "pull_requests_merged",
                "issues_opened",
                "releases",
            ],
            **sources,
        )

    def github_stars(self, repo_keys: list[str], filters: Filters) -> dict[str, int]:
        """GitHub's star count over the range of each repository whose history
        was fetched (repo_stars_daily); the others are left out."""
        ids = [int(key) for key in repo_keys if key.isdigit()]
        if not ids:
            return {}
        marks = ", ".join("?" for _ in ids)
        return {
            str(repo_id): int(stars)
            for repo_id, stars in self.rows(
                "select repo_id, sum(github_stars) from {analytics}.repo_stars_daily "
                f"where day between ? and ? and repo_id in ({marks}) group by repo_id",
                [filters.first, filters.last, *ids],
            )
        }

    def star_history(self, filters: Filters, repo_key: str) -> pd.DataFrame:
        """One repository's stars per day (month over a long range) as the
        archive counted them and as GitHub counts them (repo_stars_daily),
        where its history was fetched; empty otherwise."""
        if not repo_key.isdigit():
            return pd.DataFrame(columns=["day", "archive_stars", "github_stars"])
        grain = self.series_grain(filters)
        period = "day" if grain == "day" else self._month_of("day")
        return self.frame(
            f"select {period} as period, sum(archive_stars), sum(github_stars) "
            "from {analytics}.repo_stars_daily where repo_id = ? and day between ? and ? "
            "group by period order by period",
            [int(repo_key), filters.first, filters.last],
            [grain, "archive_stars", "github_stars"],
        )

    def estimates(self, filters: Filters) -> pd.DataFrame:
        """Events per hour of a single day, per day, or per month over a long
        range: what the archive holds and, where hours were under-captured
        (event_estimates_hourly), the estimate with its 95 % interval; hours
        captured in full count as observed."""
        grain = "hour" if filters.first == filters.last else self.series_grain(filters)
        period = grain if grain != "month" else self._month_of("day")
        return self.frame(
            f"select {period} as period, sum(observed_events), "
            "sum(coalesce(estimated_events, observed_events)), "
            "sum(coalesce(estimated_low, observed_events)), "
            "sum(coalesce(estimated_high, observed_events)), "
            "sum(case when is_estimate then 1 else 0 end) "
            "from {analytics}.event_estimates_hourly where day >= ? and day <= ? "
            "group by period order by period",
            [filters.first, filters.last],
            [grain, "observed", "estimated", "estimated_low", "estimated_high", "estimated_rows"],
        )

    # People and organisations.
    def top_people(self, filters: Filters, limit: int) -> pd.DataFrame:
        """Contributors of the range (anything but stars and forks); bots only
        when the filter keeps them."""
        return self.top(
            "contributors_daily",
            "actor_key",
            [
                "actor_key",
                "actor_login",
                "last_day",
                "is_bot",
                "contributions",
                "pushes",
                "pull_requests_opened",
                "pull_request_reviews",
                "issues_opened",
                "comments",
            ],
            "max_by(actor_login, last_day), sum(contributions), sum(pushes), "
            "sum(pull_requests_opened), sum(pull_request_reviews), sum(issues_opened), "
            "sum(comments), max(case when is_bot then 1 else 0 end), actor_key",
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
                "actor_key",
            ],
            filters,
            limit,
            "" if filters.with_bots else " and not is_bot",
            # A month holds an actor's bot days apart from their other days.
            rows_per_period=2 if filters.with_bots else 1,
        )

    def person_history(self, filters: Filters, actor_key: str) -> pd.DataFrame:
        """One person's contributions per day (month over a long range), read
        by key like :meth:`repository_history`."""
        return self.history(
            "contributors_daily",
            "actor_key",
            actor_key,
            ["contributions", "pushes", "pull_requests_opened", "pull_request_reviews",
             "issues_opened", "comments"],
            filters,
        )  # fmt: skip

    def organisation_history(self, filters: Filters, org_key: str) -> pd.DataFrame:
        """One organisation's events per day (month over a long range)."""
        return self.history("org_activity_daily", "org_key", org_key, ["events"], filters)

    def history(
        self, table: str, key_column: str, key: str, figures: list[str], filters: Filters
    ) -> pd.DataFrame:
        """``figures`` of one key of ``table`` over the range, summed per day
        or month: a row group (DuckDB) or block (BigQuery) a period."""
        return self.per_period(table, figures, filters, f" and {key_column} = ?", [key])

    def per_period(
        self,
        table: str,
        figures: list[str],
        filters: Filters,
        where: str = "",
        parameters: list | tuple = (),
        names: list[str] | None = None,
    ) -> pd.DataFrame:
        """``figures`` of ``table``'s rows over the range (filtered by
        ``where``), summed per day, or per month over a long range; the first
        column is ``day`` or ``month``, the others ``names`` (``figures``)."""
        grain = self.series_grain(filters)
        source, values = self.ranged(table, figures, filters, where, parameters, grain)
        return self.frame(
            "select period, {sums} from {source} group by period order by period",
            values,
            [grain, *(names or figures)],
            sums=", ".join(f"sum({figure})" for figure in figures),
            source=source,
        )

    def top_organisations(self, filters: Filters, limit: int) -> pd.DataFrame:
        where, search = self._search("org_login", filters.org_search)
        return self.top(
            "org_activity_daily",
            "org_key",
            [
                "org_key",
                "org_login",
                "last_day",
                "events",
                "most_actors_in_a_day",
                "most_repos_in_a_day",
            ],
            "max_by(org_login, last_day), sum(events), max(most_actors_in_a_day), "
            "max(most_repos_in_a_day), org_key",
            "events",
            ["organisation", "events", "most_actors_in_a_day", "most_repos_in_a_day", "org_key"],
            filters,
            limit,
            where,
            tuple(search),
            daily={"most_actors_in_a_day": "actors", "most_repos_in_a_day": "repos"},
        )

    # Pull requests, issues, releases, new repositories.
    def pull_requests(self, filters: Filters) -> pd.DataFrame:
        where, search = self._repo_search(filters)
        return self.per_period(
            "pull_requests_daily",
            ["opened", "merged", "closed_merge_unknown"],
            filters,
            where,
            search,
        )

    def time_to_merge(self, filters: Filters) -> pd.DataFrame:
        """Median and 90th percentile of hours to merge per day (per month over
        a long range), over the merges whose payload still carries the times.
        Percentiles do not add up: whole months come from their own rollup
        (pull_request_merge_times_monthly), the edges from their merges."""
        where, search = self._repo_search(filters)
        grain = self.series_grain(filters)
        # Searched merges have no rollup (it is not per repository): days alone.
        monthly = grain == "month" and self.use_rollups and not search
        pieces = spans(filters.first, filters.last, monthly)
        period = self._month_of("day") if grain == "month" else "day"
        frames = []
        for span in pieces:
            if span.grain == "month":
                frames.append(
                    self.frame(
                        "select month, merges_with_times, median_hours, p90_hours "
                        "from {analytics}.pull_request_merge_times_monthly "
                        "where month between ? and ? order by month",
                        [span.first, span.last],
                        [grain, "merges_with_times", "median_hours", "p90_hours"],
                    )
                )
                continue
            frames.append(
                self.frame(
                    "select {period}, count(hours_to_merge), {median}, {p90} "
                    "from {analytics}.pull_request_merges "
                    "where day between ? and ? and hours_to_merge is not null{where} "
                    "group by 1 order by 1",
                    [span.first, span.last, *search],
                    [grain, "merges_with_times", "median_hours", "p90_hours"],
                    period=period,
                    median=self._percentile("hours_to_merge", 0.5),
                    p90=self._percentile("hours_to_merge", 0.9),
                    where=where,
                )
            )
        frames = [frame for frame in frames if not frame.empty]
        if not frames:
            return pd.DataFrame(columns=[grain, "merges_with_times", "median_hours", "p90_hours"])
        return pd.concat(frames, ignore_index=True)

    def issues(self, filters: Filters) -> pd.DataFrame:
        where, search = self._repo_search(filters)
        return self.per_period(
            "issues_daily",
            ["opened", "closed", "comments_on_issues"],
            filters,
            where,
            search,
            names=["opened", "closed", "comments"],
        )

    def labels(self, filters: Filters, limit: int) -> pd.DataFrame:
        source, values = self.ranged(
            "issue_labels_daily",
            ["label", "issue_events", "issues_opened", "pull_request_events"],
            filters,
        )
        return self.frame(
            "select label, sum(issue_events), sum(issues_opened), sum(pull_request_events) "
            "from {source} group by label "
            "order by sum(issue_events) + sum(pull_request_events) desc, label limit {limit}",
            values,
            ["label", "issue_events", "issues_opened", "pull_request_events"],
            source=source,
            limit=str(int(limit)),
        )

    def releases(self, filters: Filters, limit: int) -> pd.DataFrame:
        where, search = self._repo_search(filters)
        return self.top(
            "releases_daily",
            "repo_key",
            ["repo_key", "repo_name", "last_day", "releases", "latest_tag"],
            "max_by(repo_name, last_day), sum(releases), max_by(latest_tag, last_day)",
            "releases",
            ["repository", "releases", "latest_tag"],
            filters,
            limit,
            where,
            tuple(search),
        )

    def new_repositories(self, filters: Filters, limit: int) -> pd.DataFrame:
        """The newest repositories created in the range. A day's rows are
        created that day, so when the last day alone has ``limit`` of them
        they are the answer, and the rest of the range is not read."""
        where, search = self._repo_search(filters)

        def newest(first: date) -> pd.DataFrame:
            return self.frame(
                "select repo_name, created_by, org_login, created_at "
                "from {analytics}.new_repositories_daily where day between ? and ?{where} "
                "order by created_at desc, repo_name limit {limit}",
                [first, filters.last, *search],
                ["repository", "created_by", "organisation", "created_at"],
                where=where,
                limit=str(int(limit)),
            )

        found = newest(filters.last)
        if len(found) >= limit or filters.first == filters.last:
            return found
        return newest(filters.first)

    # Coverage.
    def coverage(self, filters: Filters) -> pd.DataFrame:
        """coverage_daily over the range: a day the marts have not heard of has
        no row (no hour loaded), which the caller shows as not loaded. One row
        a day: about 5,500 for all of GH Archive."""
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

    def coverage_by_month(self, filters: Filters) -> pd.DataFrame:
        """Per month of the range (partial at its edges): days and hours
        loaded, missing at the source and degraded, and events."""
        source, values = self.ranged(
            "coverage_daily",
            [
                "days_loaded",
                "hours_loaded",
                "hours_missing_at_source",
                "hours_degraded",
                "days_degraded",
                "events",
            ],
            filters,
            grain="month",
            daily={
                "days_loaded": "1",
                "days_degraded": "case when is_degraded then 1 else 0 end",
            },
        )
        return self.frame(
            "select period, sum(days_loaded), sum(hours_loaded), sum(hours_missing_at_source), "
            "sum(hours_degraded), sum(days_degraded), sum(events) "
            "from {source} group by period order by period",
            values,
            [
                "month",
                "days_loaded",
                "hours_loaded",
                "hours_missing_at_source",
                "hours_degraded",
                "days_degraded",
                "events",
            ],
            source=source,
        )
