"""Which days' models the sensor builds, and when: the plan over a stand-in of
the instance (fast), then the sensor itself over a real instance, with real
runs of hours and of the models (slow)."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import dagster as dg
from dagster._core.remote_origin import (
    RegisteredCodeLocationOrigin,
    RemoteJobOrigin,
    RemoteRepositoryOrigin,
)

from gharchive_assets.contract.archive_hour import KEY_FORMAT
from gharchive_assets.defs.models_follow import (
    MODEL_RUN_PRIORITY,
    ModelDaysPlanner,
    contiguous,
    day_hours,
    promote_model_runs,
)

START = datetime(2015, 1, 1, tzinfo=UTC)
NOW = datetime(2024, 6, 1, 12, 30, tzinfo=UTC)
# Where a queued run says it came from (Dagster requires one of a queued run).
QUEUE_ORIGIN = RemoteJobOrigin(
    RemoteRepositoryOrigin(RegisteredCodeLocationOrigin("gharchive_assets"), "__repository__"),
    "__ASSET_JOB",
)


def hours_of(day: str, first: int = 0, last: int = 23) -> list[str]:
    midnight = datetime.fromisoformat(day).replace(tzinfo=UTC)
    return [(midnight + timedelta(hours=h)).strftime(KEY_FORMAT) for h in range(first, last + 1)]


@dataclass
class Instance:
    """What the plan reads, kept in dicts: loads in storage-id order, builds
    per day, what is in flight."""

    loads: list[tuple[str, int]] = field(default_factory=list)
    builds: dict[str, int] = field(default_factory=dict)
    in_flight: set[str] = field(default_factory=set)
    models_running: bool = False
    next_id: int = 1

    def load(self, *hours: str) -> None:
        for hour in hours:
            self.loads.append((hour, self.next_id))
            self.next_id += 1

    def build(self, *days: str) -> None:
        for day in days:
            self.builds[day] = self.next_id
            self.next_id += 1

    def loads_after(self, storage_id):
        return [(k, i) for k, i in self.loads if i > storage_id]

    def hours_loaded(self, hours):
        return {k for k, _ in self.loads} & set(hours)

    def last_builds(self, days):
        return {day: self.builds.get(day, 0) for day in days}

    def hours_in_flight(self):
        return self.in_flight

    def models_in_flight(self):
        return self.models_running


def test_a_day_is_built_once_all_its_hours_are_loaded_and_not_before():
    instance = Instance()
    planner = ModelDaysPlanner(instance, START)
    instance.load(*hours_of("2024-03-01", 0, 22))
    plan = planner.plan({}, NOW)
    assert plan.days == []
    assert plan.waiting == {"2024-03-01": "23 of its 24 hours loaded"}
    instance.load("2024-03-01-23:00")
    plan = planner.plan(plan.cursor, NOW)
    assert plan.days == ["2024-03-01"]
    request = plan.run_request()
    assert request.tags["dagster/asset_partition_range_start"] == "2024-03-01"
    assert request.tags["dagster/asset_partition_range_end"] == "2024-03-01"
    assert request.tags["dagster/priority"] == str(MODEL_RUN_PRIORITY)
    # Built after its loads: nothing more to do, and the day leaves the cursor.
    instance.build("2024-03-01")
    plan = planner.plan(plan.cursor, NOW)
    assert plan.days == [] and plan.cursor["pending"] == {}


def test_finished_days_in_a_row_are_one_run_and_a_gap_waits_for_the_next():
    instance = Instance()
    planner = ModelDaysPlanner(instance, START)
    for day in ("2024-03-01", "2024-03-02", "2024-03-04"):
        instance.load(*hours_of(day))
    instance.load(*hours_of("2024-03-03", 0, 5))
    plan = planner.plan({}, NOW)
    assert plan.days == ["2024-03-01", "2024-03-02"]
    assert plan.waiting == {"2024-03-03": "6 of its 24 hours loaded"}
    assert plan.run_request().run_key == plan.run_request().run_key  # deterministic
    instance.build("2024-03-01", "2024-03-02")
    plan = planner.plan(plan.cursor, NOW)
    assert plan.days == ["2024-03-04"]


def test_nothing_is_asked_while_a_build_runs_or_an_hour_of_the_day_is_in_flight():
    instance = Instance()
    planner = ModelDaysPlanner(instance, START)
    instance.load(*hours_of("2024-03-01"))
    instance.models_running = True
    plan = planner.plan({}, NOW)
    assert plan.days == []
    assert plan.waiting == {"2024-03-01": "a build of the models is queued or running"}
    instance.models_running = False
    instance.in_flight = {"2024-03-01-07:00"}  # that hour loads again
    plan = planner.plan(plan.cursor, NOW)
    assert plan.waiting == {"2024-03-01": "1 of its hours are queued or running"}
    instance.in_flight = set()
    assert planner.plan(plan.cursor, NOW).days == ["2024-03-01"]


def test_a_hour_loaded_again_after_the_build_makes_the_day_due_again():
    instance = Instance()
    planner = ModelDaysPlanner(instance, START)
    instance.load(*hours_of("2024-03-01"))
    instance.build("2024-03-01")
    plan = planner.plan({}, NOW)
    assert plan.days == []
    first_key = None
    instance.load("2024-03-01-05:00")  # republished, loaded again
    plan = planner.plan(plan.cursor, NOW)
    assert plan.days == ["2024-03-01"]
    first_key = plan.run_request().run_key
    instance.build("2024-03-01")
    instance.load("2024-03-01-06:00")
    plan = planner.plan(plan.cursor, NOW)
    assert plan.days == ["2024-03-01"] and plan.run_request().run_key != first_key


def test_recent_days_follow_each_hour_and_older_ones_wait_for_all():
    instance = Instance()
    planner = ModelDaysPlanner(instance, START)
    now = datetime(2024, 6, 3, 5, 10, tzinfo=UTC)  # hours of 2024-06-03 up to 04:00 have ended
    instance.load(*hours_of("2024-06-03", 0, 3), *hours_of("2024-05-31", 0, 3))
    plan = planner.plan({}, now)
    assert plan.days == ["2024-06-03"]  # today, 4 of its 5 ended hours loaded
    assert plan.waiting == {"2024-05-31": "4 of its 24 hours loaded"}
    assert day_hours("2024-06-03", START, now)[-1] == "2024-06-03-04:00"


def test_a_day_that_begins_before_the_first_partition_needs_only_its_partitions():
    start = datetime(2024, 3, 1, 20, tzinfo=UTC)
    instance = Instance()
    instance.load(*hours_of("2024-03-01", 20, 23))
    assert ModelDaysPlanner(instance, start).plan({}, NOW).days == ["2024-03-01"]


def test_failed_builds_are_tried_three_times_per_load_then_wait_for_a_new_load():
    instance = Instance()
    planner = ModelDaysPlanner(instance, START)
    instance.load(*hours_of("2024-03-01"))
    cursor: dict = {}
    for _ in range(3):  # each run fails: nothing is built
        plan = planner.plan(cursor, NOW)
        assert plan.days == ["2024-03-01"]
        cursor = plan.cursor
    plan = planner.plan(cursor, NOW)
    assert plan.days == []
    assert "its builds failed 3 times" in plan.waiting["2024-03-01"]
    instance.load("2024-03-01-00:00")
    assert planner.plan(plan.cursor, NOW).days == ["2024-03-01"]


def test_a_run_takes_at_most_a_month_of_days():
    instance = Instance()
    planner = ModelDaysPlanner(instance, START, max_days=31)
    first = datetime(2024, 1, 1, tzinfo=UTC)
    for n in range(40):
        instance.load(*hours_of(f"{first + timedelta(days=n):%Y-%m-%d}"))
    plan = planner.plan({}, NOW)
    assert (plan.days[0], plan.days[-1], len(plan.days)) == ("2024-01-01", "2024-01-31", 31)


def test_contiguous_stops_at_the_first_gap():
    assert contiguous(["2024-02-28", "2024-02-29", "2024-03-01", "2024-03-03"]) == [
        "2024-02-28",
        "2024-02-29",
        "2024-03-01",
    ]
    assert contiguous([]) == []


def test_queued_runs_of_the_models_alone_move_to_the_head_of_the_queue():
    """A backfill of every asset asks for its days' models as their hours load;
    those runs go ahead of its runs of hours, as the sensor's own do."""
    models = [dg.AssetKey(["analytics", "daily_event_counts"]), dg.AssetKey(["analytics", "x"])]
    hours = dg.AssetKey(["gharchive", "events"])
    with dg.instance_for_test() as instance:

        def queued(selection, status=dg.DagsterRunStatus.QUEUED, **tags):
            run = dg.DagsterRun(
                job_name="__ASSET_JOB", status=status, asset_selection=frozenset(selection),
                tags=tags, remote_job_origin=QUEUE_ORIGIN,
            )  # fmt: skip
            return instance.add_run(run).run_id

        backfill_models = queued(models, **{"dagster/backfill": "abc"})
        own_page = queued(models[:1], **{"dagster/priority": "not a number"})
        already_higher = queued(models, **{"dagster/priority": "20"})
        of_hours = queued([hours])
        mixed = queued([hours, *models])
        started = queued(models, status=dg.DagsterRunStatus.STARTED)
        runs = instance.get_runs()

        moved = promote_model_runs(instance, runs, models)
        assert sorted(moved) == sorted([backfill_models, own_page])

        def priority(run_id):
            return instance.get_run_by_id(run_id).tags.get("dagster/priority")

        assert priority(backfill_models) == priority(own_page) == str(MODEL_RUN_PRIORITY)
        assert instance.get_run_by_id(backfill_models).tags["dagster/backfill"] == "abc"
        assert priority(already_higher) == "20"
        assert priority(of_hours) is priority(mixed) is priority(started) is None
        # Asked again, nothing moves twice.
        assert promote_model_runs(instance, instance.get_runs(), models) == []
