"""``daily_report``: a day's HTML report in the lake, from the dbt marts."""

from dataclasses import replace
from datetime import date, timedelta

import dagster as dg

from gharchive_assets.partitions import daily_partitions
from gharchive_assets.reporting.daily_report import (
    DayCoverage,
    DayFigures,
    render_html,
    render_index,
    render_markdown,
    report_name,
)
from gharchive_assets.resources.lake import LakeResource
from gharchive_assets.resources.warehouse import WarehouseResource
from gharchive_assets.settings import current_settings

REPORT_MARTS = (
    "hourly_event_counts",
    "repo_activity_daily",
    "contributors_daily",
    "bot_share_daily",
    "coverage_daily",
    "coverage_hourly",
)
TOP = 10
REPORT_ASSET_KEY = dg.AssetKey(["daily_report"])


INDEX_PATH = "reports/index.html"


def report_path(day: date) -> str:
    return f"reports/{report_name(day)}"


def read_day_figures(warehouse: WarehouseResource, day: date) -> DayFigures:
    """The report's rows, from the marts in the warehouse's analytics schema (or dataset)."""

    def rows(sql: str) -> list[tuple]:
        return warehouse.query(sql.format(analytics=warehouse.analytics_schema), [day])

    return DayFigures(
        day=day,
        hourly=rows(
            "select hour, event_type, events from {analytics}.hourly_event_counts "
            "where day = ? order by hour, event_type"
        ),
        top_repos=rows(
            "select repo_name, events, stars, forks, pushes from {analytics}.repo_activity_daily "
            f"where day = ? order by events desc, repo_name limit {TOP}"
        ),
        top_people=rows(
            "select actor_login, contributions, pushes, pull_requests_opened, issues_opened "
            "from {analytics}.contributors_daily where day = ? and not is_bot "
            f"order by contributions desc, actor_login limit {TOP}"
        ),
        top_bots=rows(
            "select actor_login, contributions from {analytics}.contributors_daily "
            f"where day = ? and is_bot order by contributions desc, actor_login limit {TOP}"
        ),
        bot_share=rows(
            "select event_type, bot_events, human_events from {analytics}.bot_share_daily "
            "where day = ? order by bot_events + human_events desc, event_type"
        ),
        coverage=read_day_coverage(rows),
    )


def read_day_coverage(rows) -> DayCoverage:
    """The day's row of coverage_daily and its hours: which are loaded, which
    degraded or missing at the source."""
    found = rows("select capture_ratio from {analytics}.coverage_daily where day = ?")
    capture = found[0][0] if found else None
    hours = rows(
        "select archive_hour, is_missing, is_degraded from {analytics}.coverage_hourly "
        "where day = ? order by archive_hour"
    )
    return DayCoverage.of_hours(hours, capture)


def neighbours(day: date, reported: set[date]) -> tuple[date | None, date]:
    """The reports a day's page links to: the nearest earlier one, and the
    nearest later one or else the next day (the schedule's next report)."""
    earlier = [other for other in reported if other < day]
    later = [other for other in reported if other > day]
    return (max(earlier) if earlier else None, min(later) if later else day + timedelta(days=1))


def read_index(warehouse: WarehouseResource, days: set[date]) -> list[tuple]:
    """(day, events, degraded) of every reported day: its distinct events as
    the report counts them, and whether coverage_daily distrusts it."""
    span, schema = [min(days), max(days)], warehouse.analytics_schema
    events = dict(
        warehouse.query(
            f"select day, sum(events) from {schema}.daily_event_counts "
            "where day between ? and ? group by day",
            span,
        )
    )
    distrusted = dict(
        warehouse.query(
            f"select day, is_degraded or hours_loaded < 24 from {schema}.coverage_daily "
            "where day between ? and ?",
            span,
        )
    )
    return [(day, events.get(day), distrusted.get(day, True)) for day in days]


@dg.definitions
def report_defs() -> dg.Definitions:
    return dg.Definitions(assets=[build_report_asset(daily_partitions(current_settings().start))])


def build_report_asset(partitions: dg.DailyPartitionsDefinition) -> dg.AssetsDefinition:
    @dg.asset(
        key=REPORT_ASSET_KEY,
        group_name="reports",
        partitions_def=partitions,
        deps=[dg.AssetKey(["analytics", mart]) for mart in REPORT_MARTS],
        kinds={"html"},
        description=(
            "A day of GitHub as one self-contained HTML page (lake reports/YYYY-MM-DD.html): "
            "event types over the hours (hours not loaded, missing or degraded marked), top "
            "repositories and contributors, bot share, the day's coverage. Links to the "
            "previous and next day and to reports/index.html, every report. Opens with no "
            "network; a preview shows in this asset's metadata."
        ),
    )
    def daily_report(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, lake: LakeResource
    ) -> dg.MaterializeResult:
        day = context.partition_time_window.start.date()
        reported = {
            date.fromisoformat(key)
            for key in context.instance.get_materialized_partitions(REPORT_ASSET_KEY)
        }
        previous_day, next_day = neighbours(day, reported)
        figures = replace(
            read_day_figures(warehouse, day), previous_day=previous_day, next_day=next_day
        )
        if not figures.events:
            raise dg.Failure(
                f"day {day}: the marts hold no events for this day. Materialise its hours "
                "and its dbt models first (a backfill of its 24 hours with the models), then this report."
            )
        page = render_html(figures)
        path = report_path(day)
        index = render_index(read_index(warehouse, reported | {day}))
        with lake.staging_dir() as staging:
            for name, text, rel_path in (
                ("report.html", page, path),
                ("index.html", index, INDEX_PATH),
            ):
                (staging / name).write_text(text, encoding="utf-8")
                lake.publish(staging / name, rel_path)
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(lake.uri(path)),
                "index": dg.MetadataValue.path(lake.uri(INDEX_PATH)),
                "events": figures.events,
                "bot_events": figures.bot_events,
                "hours_degraded": len(figures.coverage.degraded_hours),
                "hours_missing_at_source": len(figures.coverage.missing_hours),
                "hours_loaded": figures.coverage.hours_loaded,
                "bytes": len(page.encode()),
                "preview": dg.MetadataValue.md(render_markdown(figures)),
            }
        )

    return daily_report
