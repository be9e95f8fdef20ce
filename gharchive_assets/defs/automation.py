"""Keeping up hour by hour: the jobs, a schedule for the newest hour, a sensor
that catches up, and the daily report's schedule.

GH Archive publishes an hour at about five past the next one, some much later.
The schedule asks for the latest complete hour at twenty past; the sensor looks
back over a window (48 hours by default) for hours that are published but not
materialised and not already being run, and requests a bounded number per tick.
With several sources (GHARCHIVE_SOURCES) both ask every source of the hour:
an hour is requested once each has published it, or, past the publication
window (GHARCHIVE_MISSING_AFTER_HOURS), once any has.
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import dagster as dg

from gharchive_assets.contract.archive_hour import ArchiveHour, key_for, latest_complete_hour
from gharchive_assets.core.partitions import HOURS_GROUP, daily_partitions, hourly_partitions
from gharchive_assets.core.settings import Settings
from gharchive_assets.lake.paths import raw_path
from gharchive_assets.lake.resource import LakeResource
from gharchive_assets.source.resource import (
    ArchiveSourceResource,
    HourNotPublished,
    missing_for_good,
    source_changes,
    sources_of_hour,
)

PARTITION_TAG = "dagster/partition"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
SCHEDULE_MINUTE = 20
# An hour counts as done when its raw file and its rows are materialised (its
# day's dbt models follow, by models_follow_hours_sensor).
DONE_WHEN_MATERIALISED = [
    dg.AssetKey(["raw_archive_hour"]),
    dg.AssetKey(["gharchive", "events"]),
]
# A published hour is asked about again at most this often while it is missing.
RECHECK_AFTER = timedelta(minutes=10)
# A done hour of the look-back is asked whether it was republished (one HEAD
# per source, compared with what the lake recorded) at most this often.
REVERIFY_AFTER = timedelta(minutes=30)
# A requested hour is not requested again for this long (its run may still be
# starting), nor after this many requests whose runs failed.
REQUEST_GRACE = timedelta(minutes=15)
MAX_REQUESTS = 3
# The hourly assets: the raw file, its cleaned copy, its rows in the warehouse.
# The dbt models (daily) follow them; the report is daily, with a job of its own.
HOURLY_ASSETS = dg.AssetSelection.groups(HOURS_GROUP)
DAILY_REPORT = dg.AssetSelection.assets("daily_report")


def automation_defs(settings: Settings) -> dg.Definitions:
    partitions = hourly_partitions(settings.start)
    hourly_job = dg.define_asset_job(
        "hourly_archive_job",
        selection=HOURLY_ASSETS,
        partitions_def=partitions,
        description=(
            "The hourly assets for a range of hours: raw, clean, events. The dbt models "
            "of their days follow (models_follow_hours_sensor) or are run by day."
        ),
    )
    report_job = dg.define_asset_job(
        "daily_report_job",
        selection=DAILY_REPORT,
        partitions_def=daily_partitions(settings.start),
        description="The HTML report of a UTC day, from the marts.",
    )
    return dg.Definitions(
        jobs=[hourly_job, report_job],
        schedules=[
            build_schedule(hourly_job, settings),
            build_daily_report_schedule(report_job),
        ],
        sensors=[build_sensor(hourly_job, partitions, settings)],
    )


def not_ready(
    hour: ArchiveHour, source: ArchiveSourceResource, settings: Settings, now: datetime
) -> str | None:
    """Why ``hour`` is not to be requested yet, or None: no source serving it
    has published it, or one has not yet and still may (within the
    publication window); a source that lacks it past that window lost it."""
    serving = sources_of_hour(source, settings, hour)
    lacking = []
    for spec, _, each in serving:
        try:
            each.describe(hour)
        except HourNotPublished:
            lacking.append(spec.name)
    if len(lacking) == len(serving):
        return "not published yet"
    if lacking and not missing_for_good(hour, now, settings.missing_after_hours):
        return f"not published yet by {', '.join(lacking)}"
    return None


def build_schedule(job, settings: Settings) -> dg.ScheduleDefinition:
    @dg.schedule(
        name="hourly_archive_schedule",
        cron_schedule=f"{SCHEDULE_MINUTE} * * * *",
        execution_timezone="UTC",
        job=job,
        description=(
            f"At :{SCHEDULE_MINUTE} past each hour, materialise the hour that just ended "
            "(GH Archive publishes it at about :05) once every source has published it; "
            "run key = partition key. An hour skipped here is archive_hours_sensor's."
        ),
    )
    def hourly_archive_schedule(
        context: dg.ScheduleEvaluationContext, source: ArchiveSourceResource
    ):
        key = key_for(latest_complete_hour(context.scheduled_execution_time))
        if reason := not_ready(
            ArchiveHour.of(key), source, settings, context.scheduled_execution_time
        ):
            return dg.SkipReason(
                f"hour {key}: {reason}; archive_hours_sensor requests it once it is published"
            )
        return dg.RunRequest(run_key=key, partition_key=key)

    return hourly_archive_schedule


def build_daily_report_schedule(job) -> dg.ScheduleDefinition:
    """At 01:30 UTC, the report of the day that ended: its last hour is loaded by then."""
    return dg.build_schedule_from_partitioned_job(
        job,
        name="daily_report_schedule",
        hour_of_day=1,
        minute_of_hour=30,
        description="At 01:30 UTC, render the report of the previous UTC day.",
    )


@dataclass
class CatchUp:
    """One evaluation of the sensor: the hours to run and the new cursor."""

    to_request: list[str]
    cursor: dict
    skipped: dict[str, str]
    republished: dict[str, str] = field(default_factory=dict)
    """Done hours whose source file changed, and how: requested again, once."""

    def run_requests(self) -> list[dg.RunRequest]:
        """One run per hour; a repeated request gets a run key of its own (Dagster
        drops a request whose run key a sensor has used)."""
        requests = [
            dg.RunRequest(run_key=run_key(key, self.cursor["requested"][key][1]), partition_key=key)
            for key in self.to_request
        ]
        for key, how in self.republished.items():
            digest = hashlib.sha1(how.encode()).hexdigest()[:10]
            requests.append(
                dg.RunRequest(
                    run_key=f"{key} (republished {digest})",
                    partition_key=key,
                    tags={"gharchive/republished": how[:200]},
                )
            )
        return requests


def republished(
    hour: ArchiveHour, source: ArchiveSourceResource, settings: Settings, lake: LakeResource
) -> str | None:
    """How a source's file of ``hour`` differs from the lake's copy (size,
    ETag, Last-Modified, as the raw step compares them), or None."""
    for spec, name, each in sources_of_hour(source, settings, hour):
        held = lake.size(raw_path(hour, name))
        if held is None:
            continue
        try:
            served = each.describe(hour)
        except HourNotPublished:
            continue
        if changes := source_changes(served, held, lake.recorded_source(hour, name)):
            return f"{spec.name}: {'; '.join(changes)}"
    return None


# Every status of a run that has not ended (Dagster's own list is private).
RUNS_IN_FLIGHT = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.SUSPENDED,
    dg.DagsterRunStatus.CANCELING,
]


def run_key(key: str, request_number: int) -> str:
    return key if request_number <= 1 else f"{key} (request {request_number})"


def hours_in_flight(instance: dg.DagsterInstance, partitions) -> set[str]:
    """Hours that a queued or running run already covers (single hours or ranges)."""
    keys: set[str] = set()
    for run in instance.get_runs(dg.RunsFilter(statuses=RUNS_IN_FLIGHT)):
        if PARTITION_TAG in run.tags:
            keys.add(run.tags[PARTITION_TAG])
        elif RANGE_START_TAG in run.tags and RANGE_END_TAG in run.tags:
            keys.update(
                partitions.get_partition_keys_in_range(
                    dg.PartitionKeyRange(run.tags[RANGE_START_TAG], run.tags[RANGE_END_TAG])
                )
            )
    return keys


def plan_catch_up(
    now: datetime,
    instance: dg.DagsterInstance,
    source: ArchiveSourceResource,
    partitions,
    cursor: dict,
    lookback_hours: int = 48,
    max_runs: int = 6,
    settings: Settings | None = None,
    lake: LakeResource | None = None,
) -> CatchUp:
    """The hours in the look-back window that are published but neither done nor running.

    The cursor remembers hours requested, when and how often (an hour is not
    asked for again while its run may still be starting; an hour whose run
    failed or was killed is asked for again, up to ``MAX_REQUESTS`` times), and
    when a missing hour was last asked about (so a tick does not ask the source
    about every missing hour every time). ``settings`` name the sources
    (default: ``source`` alone). With ``lake``, done hours are asked whether
    their file was republished (every ``REVERIFY_AFTER``), and a changed one is
    requested again, once per change.
    """
    settings = settings or Settings(base_url=source.base_url)
    last = latest_complete_hour(now)
    first = max(last - timedelta(hours=lookback_hours - 1), partitions.start.astimezone(UTC))
    window = []
    hour = first
    while hour <= last:
        window.append(key_for(hour))
        hour += timedelta(hours=1)
    done = set(window)
    for asset_key in DONE_WHEN_MATERIALISED:
        done &= instance.get_materialized_partitions(asset_key)
    running = hours_in_flight(instance, partitions)
    requested = {
        k: v if isinstance(v, list) else [v, 1]  # [when, how many times]; older cursors: when
        for k, v in cursor.get("requested", {}).items()
        if k in window
    }
    checked = {k: v for k, v in cursor.get("checked", {}).items() if k in window}
    verified = {k: v for k, v in cursor.get("verified", {}).items() if k in window}
    changed = {k: v for k, v in cursor.get("republished", {}).items() if k in window}
    skipped, to_request, again = {}, [], {}
    for key in reversed(window):  # newest first: the freshest hours matter most
        if key in done:
            if lake is None or key in running or len(to_request) + len(again) >= max_runs:
                continue
            if now.timestamp() - verified.get(key, 0) < REVERIFY_AFTER.total_seconds():
                continue
            verified[key] = now.timestamp()
            how = republished(ArchiveHour.of(key), source, settings, lake)
            if how and changed.get(key) != how:
                again[key] = changed[key] = how
            continue
        if key in running:
            skipped[key] = "a run is queued or in progress"
            continue
        last_request, requests = requested.get(key, [None, 0])
        if last_request and now.timestamp() - last_request < REQUEST_GRACE.total_seconds():
            skipped[key] = "requested by an earlier tick"
            continue
        if requests >= MAX_REQUESTS:
            skipped[key] = (
                f"its runs failed {requests} times: materialise it by hand once the cause is fixed"
            )
            continue
        if len(to_request) >= max_runs:
            skipped[key] = "over this tick's limit"
            continue
        last_check = checked.get(key)
        if last_check and now.timestamp() - last_check < RECHECK_AFTER.total_seconds():
            skipped[key] = "not published when last asked"
            continue
        if reason := not_ready(ArchiveHour.of(key), source, settings, now):
            checked[key] = now.timestamp()
            skipped[key] = reason
            continue
        to_request.append(key)
        requested[key] = [now.timestamp(), requests + 1]
    cursor = {"requested": requested, "checked": checked, "verified": verified}
    return CatchUp(to_request, {**cursor, "republished": changed}, skipped, again)


def build_sensor(job, partitions, settings: Settings) -> dg.SensorDefinition:
    lookback_hours = settings.sensor_lookback_hours

    @dg.sensor(
        name="archive_hours_sensor",
        job=job,
        minimum_interval_seconds=300,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description=(
            f"Catches up on hours of the last {lookback_hours} that GH Archive has published "
            "but that are not materialised or already running, and on done hours whose file "
            "was republished since (size, ETag or Last-Modified); a few runs per tick."
        ),
    )
    def archive_hours_sensor(
        context: dg.SensorEvaluationContext, source: ArchiveSourceResource, lake: LakeResource
    ):
        cursor = json.loads(context.cursor) if context.cursor else {}
        plan = plan_catch_up(
            datetime.now(UTC),
            context.instance,
            source,
            partitions,
            cursor,
            lookback_hours,
            settings=settings,
            lake=lake,
        )
        context.update_cursor(json.dumps(plan.cursor))
        for key, how in plan.republished.items():
            context.log.info(f"hour {key} was republished ({how}): requested again")
        if not plan.to_request and not plan.republished:
            return dg.SkipReason(f"nothing to catch up on ({len(plan.skipped)} hours skipped)")
        return plan.run_requests()

    return archive_hours_sensor
