"""``daily_report``: a day's HTML report in the lake, from the dbt marts."""

from dataclasses import replace
from datetime import date, timedelta

import dagster as dg

from gharchive_assets.core.partitions import daily_partitions
from gharchive_assets.core.settings import Settings
from gharchive_assets.lake.resource import LakeResource
from gharchive_assets.reporting.daily_report import (
    render_html,
    render_index,
    render_markdown,
    report_name,
)
from gharchive_assets.reporting.marts import MartsReader
from gharchive_assets.warehouse.resource import WarehouseResource

REPORT_MARTS = (
    "hourly_event_counts",
    "repo_activity_daily",
    "contributors_daily",
    "bot_share_daily",
    "coverage_daily",
    "coverage_hourly",
)
REPORT_ASSET_KEY = dg.AssetKey(["daily_report"])
INDEX_PATH = "reports/index.html"


def report_path(day: date) -> str:
    return f"reports/{report_name(day)}"


def neighbours(day: date, reported: set[date]) -> tuple[date | None, date]:
    """The reports a day's page links to: the nearest earlier one, and the
    nearest later one or else the next day (the schedule's next report)."""
    earlier = [other for other in reported if other < day]
    later = [other for other in reported if other > day]
    return (max(earlier) if earlier else None, min(later) if later else day + timedelta(days=1))


def publish_pages(lake: LakeResource, pages: dict[str, str]) -> None:
    """Each page (lake path: HTML) into the lake, whole."""
    with lake.staging_dir() as staging:
        for number, (rel_path, text) in enumerate(pages.items()):
            (staging / f"{number}.html").write_text(text, encoding="utf-8")
            lake.publish(staging / f"{number}.html", rel_path)


def report_defs(settings: Settings) -> dg.Definitions:
    @dg.asset(
        key=REPORT_ASSET_KEY,
        group_name="reports",
        partitions_def=daily_partitions(settings.start),
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
        materialized = context.instance.get_materialized_partitions(REPORT_ASSET_KEY)
        reported = {date.fromisoformat(key) for key in materialized} | {day}
        marts = MartsReader(warehouse, settings.warehouse_kind)
        previous_day, next_day = neighbours(day, reported)
        figures = replace(marts.day_figures(day), previous_day=previous_day, next_day=next_day)
        if not figures.events:
            raise dg.Failure(
                f"day {day}: the marts hold no events for this day. Materialise its hours and "
                "its dbt models first (a backfill of its 24 hours with the models), then this report."
            )
        page = render_html(figures)
        publish_pages(
            lake, {report_path(day): page, INDEX_PATH: render_index(marts.report_index(reported))}
        )
        return dg.MaterializeResult(metadata=report_metadata(lake, day, figures, page))

    return dg.Definitions(assets=[daily_report])


def report_metadata(lake: LakeResource, day: date, figures, page: str) -> dict:
    return {
        "path": dg.MetadataValue.path(lake.uri(report_path(day))),
        "index": dg.MetadataValue.path(lake.uri(INDEX_PATH)),
        "events": figures.events,
        "bot_events": figures.bot_events,
        "hours_degraded": len(figures.coverage.degraded_hours),
        "hours_missing_at_source": len(figures.coverage.missing_hours),
        "hours_loaded": figures.coverage.hours_loaded,
        "bytes": len(page.encode()),
        "preview": dg.MetadataValue.md(render_markdown(figures)),
    }
