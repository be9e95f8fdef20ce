"""The dbt models follow the hours: a day's marts are built as soon as its
hours are in, while a backfill is still loading other days.

Dagster's asset backfill creates every run of its first assets (the hours)
before it asks for anything downstream, so models in the same backfill would
run only after the last run of hours exists, queued behind all of them. The
usual backfill is therefore of the hours alone (the group ``archive_hours``),
and this sensor builds the models of each day once:

- hours of the day loaded after its models were last built, and
- every hour of the day is loaded (a lost hour loads as empty, so "known
  missing" counts), or the day is one of the last ``KEEP_UP_DAYS`` (today's
  marts follow its hours as they arrive), and
- no hour of the day is queued or running, and no build of the models is.

One run at a time, for the earliest contiguous days ready (at most
``MAX_DAYS_PER_RUN``), at the head of the run queue (``dagster/priority``):
while the queue holds a year of runs of hours, a finished day's build is the
next run to start. A day whose builds failed ``MAX_TRIES`` times for the same
loads waits for a new load of its hours.

Runs of the models launched any other way (a backfill of every asset from the
global lineage, a model's own page) are moved to the head of the queue too
(``promote_model_runs``): such a backfill asks for its days' models as their
hours load, and those runs would otherwise wait behind its runs of hours.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

import dagster as dg

from gharchive_assets.contract.archive_hour import KEY_FORMAT, latest_complete_hour, parse_key
from gharchive_assets.core.settings import Settings

MODELS_SENSOR = "models_follow_hours_sensor"
MODELS_JOB = "daily_models_job"
EVENTS_KEY = dg.AssetKey(["gharchive", "events"])
MODELS_PREFIX = "analytics"
KEEP_UP_DAYS = 3
MAX_DAYS_PER_RUN = 31
MAX_TRIES = 3
# Ahead of every run of hours (priority 0) in the run queue.
MODEL_RUN_PRIORITY = 10
SENSOR_SECONDS = 15
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
PRIORITY_TAG = "dagster/priority"
UNFINISHED = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


class LoadsAndBuilds(Protocol):
    """What the plan reads of the instance (``InstanceLoadsAndBuilds``)."""

    def loads_after(self, storage_id: int) -> list[tuple[str, int]]:
        """Hours of ``events`` materialised after ``storage_id``: (key, storage id)."""

    def hours_loaded(self, hours: list[str]) -> set[str]:
        """Which of ``hours`` have ``events`` materialised."""

    def last_builds(self, days: list[str]) -> dict[str, int]:
        """Per day, the storage id of its oldest latest model materialisation
        (0 where a model of it was never built)."""

    def hours_in_flight(self) -> set[str]:
        """Hours a queued or running run covers."""

    def models_in_flight(self) -> bool:
        """Whether a run of the models is queued or running."""


@dataclass
class ModelDaysPlan:
    """One tick: the days to build in one run (maybe none), why others wait,
    and the cursor to keep."""

    days: list[str]
    waiting: dict[str, str]
    cursor: dict
    newest_load: int = 0

    def run_request(self) -> dg.RunRequest | None:
        if not self.days:
            return None
        first, last = self.days[0], self.days[-1]
        return dg.RunRequest(
            # A new load of these days makes a new key; the same loads, the same key.
            run_key=f"models {first}..{last} after load {self.newest_load}",
            tags={
                RANGE_START_TAG: first,
                RANGE_END_TAG: last,
                PRIORITY_TAG: str(MODEL_RUN_PRIORITY),
            },
        )


def day_hours(day: str, start: datetime, now: datetime) -> list[str]:
    """The day's hourly partition keys that exist: from ``start`` (GHARCHIVE_START)
    to the latest hour that has ended."""
    first = datetime.fromisoformat(day).replace(tzinfo=UTC)
    last = latest_complete_hour(now)
    hours = (first + timedelta(hours=h) for h in range(24))
    return [hour.strftime(KEY_FORMAT) for hour in hours if start <= hour <= last]


@dataclass
class ModelDaysPlanner:
    """Plans each tick of ``models_follow_hours_sensor`` from what ``reader`` says."""

    reader: LoadsAndBuilds
    start: datetime
    keep_up_days: int = KEEP_UP_DAYS
    max_days: int = MAX_DAYS_PER_RUN
    scan_days: int = 4 * MAX_DAYS_PER_RUN
    tries_allowed: int = MAX_TRIES
    _waiting: dict[str, str] = field(default_factory=dict, init=False)

    def plan(self, cursor: dict, now: datetime) -> ModelDaysPlan:
        after = int(cursor.get("after", 0))
        pending: dict[str, int] = dict(cursor.get("pending", {}))
        tries: dict[str, list[int]] = dict(cursor.get("tries", {}))
        for key, storage_id in self.reader.loads_after(after):
            day = key[:10]
            pending[day] = max(pending.get(day, 0), storage_id)
            after = max(after, storage_id)
        self._waiting = {}
        ready = self._ready_days(pending, tries, now) if pending else []
        days = contiguous(ready)[: self.max_days]
        for day in days:
            count = tries.get(day, [0, 0])
            tries[day] = [pending[day], count[1] + 1 if count[0] == pending[day] else 1]
        tries = {day: count for day, count in tries.items() if day in pending}
        new_cursor = {"after": after, "pending": pending, "tries": tries}
        newest = max((pending[day] for day in days), default=0)
        return ModelDaysPlan(days, self._waiting, new_cursor, newest)

    def _ready_days(self, pending: dict[str, int], tries: dict, now: datetime) -> list[str]:
        if self.reader.models_in_flight():
            self._waiting = dict.fromkeys(pending, "a build of the models is queued or running")
            return []
        scanned = sorted(pending)[: self.scan_days]
        built = self.reader.last_builds(scanned)
        in_flight = self.reader.hours_in_flight()
        recent = (now.astimezone(UTC) - timedelta(days=self.keep_up_days - 1)).date()
        ready = []
        for day in scanned:
            if built.get(day, 0) > pending[day]:
                del pending[day]  # built after its latest load
                continue
            hours = day_hours(day, self.start, now)
            if busy := [h for h in hours if h in in_flight]:
                self._waiting[day] = f"{len(busy)} of its hours are queued or running"
                continue
            loaded = self.reader.hours_loaded(hours)
            if len(loaded) < len(hours) and date.fromisoformat(day) < recent:
                self._waiting[day] = f"{len(loaded)} of its {len(hours)} hours loaded"
                continue
            load, count = tries.get(day, [0, 0])
            if load == pending[day] and count >= self.tries_allowed:
                self._waiting[day] = (
                    f"its builds failed {count} times: fix the cause and materialise "
                    f"{MODELS_JOB} for the day, or load one of its hours again"
                )
                continue
            ready.append(day)
        return ready


def contiguous(days: Iterable[str]) -> list[str]:
    """The first run of consecutive calendar days of sorted ``days``."""
    run: list[str] = []
    for day in days:
        if run and date.fromisoformat(day) - date.fromisoformat(run[-1]) != timedelta(days=1):
            break
        run.append(day)
    return run


class InstanceLoadsAndBuilds:
    """``LoadsAndBuilds`` from a Dagster instance's event log and runs (public API only)."""

    def __init__(self, instance: dg.DagsterInstance, model_keys: Iterable[dg.AssetKey]):
        self.instance = instance
        self.model_keys = sorted(model_keys, key=lambda key: key.to_user_string())
        self._unfinished: list[dg.DagsterRun] | None = None

    def _materialisations(self, asset_key, after=None, partitions=None, limit=1000):
        """Every materialisation of ``asset_key`` (after a storage id, of some
        partitions), oldest first, page by page."""
        cursor = None
        while True:
            page = self.instance.fetch_materializations(
                dg.AssetRecordsFilter(
                    asset_key=asset_key, after_storage_id=after, asset_partitions=partitions
                ),
                limit=limit,
                cursor=cursor,
                ascending=True,
            )
            yield from page.records
            if not page.has_more:
                return
            cursor = page.cursor

    def loads_after(self, storage_id: int) -> list[tuple[str, int]]:
        return [
            (record.partition_key, record.storage_id)
            for record in self._materialisations(EVENTS_KEY, after=storage_id or None)
            if record.partition_key
        ]

    def hours_loaded(self, hours: list[str]) -> set[str]:
        return {r.partition_key for r in self._materialisations(EVENTS_KEY, partitions=hours)}

    def last_builds(self, days: list[str]) -> dict[str, int]:
        oldest: dict[str, int] = dict.fromkeys(days, 0)
        for number, key in enumerate(self.model_keys):
            latest: dict[str, int] = {}
            for record in self._materialisations(key, partitions=days):
                latest[record.partition_key] = record.storage_id
            for day in days:
                oldest[day] = (
                    latest.get(day, 0) if number == 0 else min(oldest[day], latest.get(day, 0))
                )
        return oldest

    def unfinished_runs(self) -> list[dg.DagsterRun]:
        if self._unfinished is None:
            self._unfinished = list(self.instance.get_runs(dg.RunsFilter(statuses=UNFINISHED)))
        return self._unfinished

    def hours_in_flight(self) -> set[str]:
        keys: set[str] = set()
        for run in self.unfinished_runs():
            tags = run.tags
            # Hour keys (2015-01-01-05:00), not the models' days (2015-01-01).
            if len(tags.get("dagster/partition", "")) > len("YYYY-MM-DD"):
                keys.add(tags["dagster/partition"])
            elif len(tags.get(RANGE_START_TAG, "")) > len("YYYY-MM-DD"):
                keys.update(hour_keys(tags[RANGE_START_TAG], tags[RANGE_END_TAG]))
        return keys

    def models_in_flight(self) -> bool:
        models = set(self.model_keys)
        return any(
            run.job_name == MODELS_JOB or models & set(run.asset_selection or ())
            for run in self.unfinished_runs()
        )


def promote_model_runs(
    instance: dg.DagsterInstance, runs: Iterable[dg.DagsterRun], model_keys: Iterable[dg.AssetKey]
) -> list[str]:
    """Give queued runs of the models alone ``MODEL_RUN_PRIORITY`` (never lowering
    a priority set higher); the ids of the runs moved. The run queue reads a
    run's tags at each pass, so a queued run moves at once."""
    models = set(model_keys)
    moved = []
    for run in runs:
        selection = set(run.asset_selection or ())
        if run.status != dg.DagsterRunStatus.QUEUED or not selection or not selection <= models:
            continue
        try:
            priority = int(run.tags.get(PRIORITY_TAG, "0"))
        except ValueError:
            priority = 0
        if priority < MODEL_RUN_PRIORITY:
            instance.add_run_tags(run.run_id, {PRIORITY_TAG: str(MODEL_RUN_PRIORITY)})
            moved.append(run.run_id)
    return moved


def hour_keys(first: str, last: str) -> list[str]:
    hour, end = parse_key(first), parse_key(last)
    keys = []
    while hour <= end:
        keys.append(hour.strftime(KEY_FORMAT))
        hour += timedelta(hours=1)
    return keys


def model_keys(repository: dg.RepositoryDefinition) -> list[dg.AssetKey]:
    """The dbt models' asset keys: every one under ``analytics/`` (the translator's prefix)."""
    return [key for key in repository.assets_defs_by_key if key.path[0] == MODELS_PREFIX]


def models_follow_defs(settings: Settings) -> dg.Definitions:
    start = parse_key(settings.start)

    @dg.sensor(
        name=MODELS_SENSOR,
        job_name=MODELS_JOB,
        minimum_interval_seconds=SENSOR_SECONDS,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=(
            "Builds the dbt models of each day whose hours are loaded (lost hours load as "
            "empty), once none of them is queued or running, while a backfill goes on: the "
            "earliest days first, up to a month a run, at the head of the run queue. The last "
            f"{KEEP_UP_DAYS} days are built after each new hour, complete or not."
        ),
    )
    def models_follow_hours_sensor(context: dg.SensorEvaluationContext):
        cursor = json.loads(context.cursor) if context.cursor else {}
        reader = InstanceLoadsAndBuilds(context.instance, model_keys(context.repository_def))
        if moved := promote_model_runs(
            context.instance, reader.unfinished_runs(), reader.model_keys
        ):
            context.log.info(
                f"{len(moved)} queued runs of the models moved to the head of the queue"
            )
        plan = ModelDaysPlanner(reader, start).plan(cursor, datetime.now(UTC))
        context.update_cursor(json.dumps(plan.cursor))
        if request := plan.run_request():
            return request
        waiting = "; ".join(f"{day}: {why}" for day, why in list(plan.waiting.items())[:5])
        return dg.SkipReason(f"no day ready{f' ({waiting})' if waiting else ''}")

    return dg.Definitions(sensors=[models_follow_hours_sensor])
