"""``daily_report``: a day's HTML report in the lake, from the dbt marts."""

from datetime import date

import dagster as dg

from gharchive_assets.partitions import daily_partitions
from gharchive_assets.reporting.daily_report import (
    DayCoverage,
    DayFigures,
    render_html,
    render_markdown,
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


def report_path(day: date) -> str:
    return f"reports/{day.isoformat()}.html"


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
    """The day's row of coverage_daily and its degraded and missing hours."""
    found = rows("select hours_loaded, capture_ratio from {analytics}.coverage_daily where day = ?")
    hours_loaded, capture = found[0] if found else (0, None)
    flagged = rows(
        "select archive_hour, is_missing from {analytics}.coverage_hourly "
        "where day = ? and (is_degraded or is_missing) order by archive_hour"
    )
    return DayCoverage(
        hours_loaded=hours_loaded,
        capture_ratio=capture,
        degraded_hours=[hour for hour, missing in flagged if not missing],
        missing_hours=[hour for hour, missing in flagged if missing],
    )


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
            "event types over the hours, top repositories and contributors, bot share. "
            "Opens with no network; a preview shows in this asset's metadata."
        ),
    )
    def daily_report(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, lake: LakeResource
    ) -> dg.MaterializeResult:
        day = context.partition_time_window.start.date()
        figures = read_day_figures(warehouse, day)
        if not figures.events:
            raise dg.Failure(
                f"day {day}: the marts hold no events for this day. Materialise its hours "
                "(hourly_archive_job over the day's 24 partitions) first, then this report."
            )
        page = render_html(figures)
        path = report_path(day)
        with lake.staging_dir() as staging:
            local = staging / "report.html"
            local.write_text(page, encoding="utf-8")
            lake.publish(local, path)
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(lake.uri(path)),
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
