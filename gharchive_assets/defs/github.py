"""``github/star_history``: GitHub's own star counts for each day's top
repositories, beside the archive's (dbt's ``repo_stars_daily`` compares them).

Daily, like the dbt models it feeds, and downstream of the day's hours of
``gharchive/events`` (which repositories are the day's top). Without
``GITHUB_TOKEN`` it asks nothing and says so once per run.
"""

from datetime import date, timedelta

import dagster as dg

from gharchive_assets.core.partitions import model_backfill_policy, model_days
from gharchive_assets.core.settings import Settings
from gharchive_assets.defs.events import EVENTS_ASSET_KEY
from gharchive_assets.github.resource import TOKEN_VARIABLE, GitHubResource
from gharchive_assets.github.star_history import RateLimited, StarHistoryError
from gharchive_assets.github.stars import StarHistoryFetcher
from gharchive_assets.lake.resource import LakeResource
from gharchive_assets.warehouse.resource import WarehouseResource

STAR_HISTORY_ASSET_KEY = dg.AssetKey(["github", "star_history"])
STAR_HISTORY_JOB = "star_history_job"


def github_defs(settings: Settings) -> dg.Definitions:
    class StarHistoryConfig(dg.Config):
        repositories: int = settings.star_history_repos
        """A day's top repositories by archive stars, and as many by events, to ask about."""

    @dg.asset(
        key=STAR_HISTORY_ASSET_KEY,
        group_name="github",
        deps=[EVENTS_ASSET_KEY],
        partitions_def=model_days(settings.start),
        backfill_policy=model_backfill_policy(settings.hours_per_run),
        kinds={"github", settings.warehouse_kind},
        description=(
            "GitHub's star history (REST API stargazers/history) of each day's top "
            f"repositories by archive stars and by events ({settings.star_history_repos} "
            "of each unless the run's config says otherwise), in the warehouse table "
            "github_star_history: stars given per day that GitHub still counts. Needs "
            f"{TOKEN_VARIABLE}; without it the run asks nothing and says so."
        ),
    )
    def star_history(
        context: dg.AssetExecutionContext,
        config: StarHistoryConfig,
        github: GitHubResource,
        lake: LakeResource,
        warehouse: WarehouseResource,
    ) -> dg.MaterializeResult:
        days = days_of(context.partition_time_window)
        if not github.has_token:
            return skipped_without_token(context, days)
        fetcher = StarHistoryFetcher(
            lake,
            warehouse,
            github.client(context.log.info),
            refresh_hours=github.refresh_hours,
            log=context.log.warning,
        )
        totals = fetch_days(context, fetcher, days, config.repositories)
        return dg.MaterializeResult(metadata={"days": len(days), **totals})

    job = dg.define_asset_job(
        STAR_HISTORY_JOB,
        selection=dg.AssetSelection.assets(star_history),
        partitions_def=model_days(settings.start),
        description="GitHub's star history of a range of UTC days' top repositories.",
    )

    @dg.schedule(
        name="star_history_schedule",
        job=job,
        cron_schedule="30 4 * * *",
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description=(
            "Daily at 04:30 UTC: GitHub's star history of yesterday's top repositories "
            f"(whole by then). Turn it on once {TOKEN_VARIABLE} is set."
        ),
    )
    def star_history_schedule(context: dg.ScheduleEvaluationContext):
        yesterday = (context.scheduled_execution_time - timedelta(days=1)).strftime("%Y-%m-%d")
        return dg.RunRequest(run_key=f"stars-{yesterday}", partition_key=yesterday)

    return dg.Definitions(assets=[star_history], jobs=[job], schedules=[star_history_schedule])


def days_of(window: dg.TimeWindow) -> list[date]:
    """The UTC days of a run's window."""
    return [
        (window.start + timedelta(days=n)).date() for n in range((window.end - window.start).days)
    ]


def skipped_without_token(
    context: dg.AssetExecutionContext, days: list[date]
) -> dg.MaterializeResult:
    """Without a token nothing is asked: said once, and the days can be run again."""
    context.log.warning(
        f"{TOKEN_VARIABLE} is not set: GitHub's star history of {len(days)} day(s) "
        f"is skipped. Set {TOKEN_VARIABLE} (a token that may read public repositories) "
        "and materialise these days again to fetch it."
    )
    return dg.MaterializeResult(metadata={"skipped": f"{TOKEN_VARIABLE} is not set"})


def fetch_days(
    context: dg.AssetExecutionContext,
    fetcher: StarHistoryFetcher,
    days: list[date],
    repositories: int | None,
) -> dict[str, int]:
    """Each day's star history, its figures on its partition; a failure names the
    days done before it, whose answers are kept (lake and warehouse), so a re-run
    resumes."""
    totals: dict[str, int] = {"requests": 0, "rows_loaded": 0}
    for day in days:
        try:
            result = fetcher.fetch_day(day, repositories)
        except StarHistoryError as error:
            done = [key for key in context.partition_keys if key < day.isoformat()]
            when = (
                {"retry_after": error.until.isoformat()} if isinstance(error, RateLimited) else {}
            )
            raise dg.Failure(
                f"day {day}: {error}. Days done before it: {len(done)}; the "
                "repositories answered so far are kept and not asked again.",
                metadata={"days_done": done, **when},
            ) from error
        context.add_asset_metadata(result.metadata(), partition_key=day.isoformat())
        totals["requests"] += result.requests
        totals["rows_loaded"] += result.rows
    return totals
