"""A backfill launched from the UI, followed until the marts: when the first
run starts, when the first day's marts exist, how long each day's marts lag
its last hour, how much of the wall time is the runs' own overhead, and how
fast a cancel takes.

Each scenario runs on a real ``make dev`` (``gharchive_assets.cli.dev_server``:
webserver, daemon, sensors) over a fresh instance and data dir, with the
archive served on loopback, and launches the documented usual backfill
through the UI's own GraphQL, as its Materialize dialog sends it (the
explicit partition keys):

- ``month``: June 2024 of small hours (``--small-events``, 50 by default),
  followed to the end;
- ``year``: 2024 of small hours, followed for ``--year-minutes`` and then
  cancelled (the cancel is timed: until CANCELED, and until no run of the
  backfill is queued);
- ``week``: 2024-03-04..10 of 2024-size hours (``--week-events``, 200,000),
  followed to the end.

"To the end" is until the backfill's runs are done and then until every
loaded day's marts exist (the sensor's last build), at most 5 minutes more.

Every hour is distinct (its own ids and times), so each day's marts are
the day's own. The 2024-size hours are one generated hour
(bench/clean_hour.py) moved to each hour; the mirrors are kept under
bench/out/backfill_flow/. A 2024-size week needs about 11 GB for its mirror
and about 55 GB for one scenario's lake and warehouse, removed after it.

Measured from the instance (materialisations, runs and their step stats),
from the moment of the launch:

- first run: the backfill's first run exists;
- first marts: a day's models have materialised (``analytics/daily_event_counts``);
- marts lag: for each day, from its last hour's load to its marts built after
  it; a day loaded but not built when the scenario ends counts until then
  (printed with ``>=``);
- overhead: wall time (launch to the last run's end) over the sum of every
  step's own duration; and per run, the time queued, the time from dequeue to
  its first step (launch, process start, definitions load) and after its last;
- cancel (year): until the backfill is CANCELED, and until none of its runs is queued.

    python bench/backfill_flow.py [--scenarios month,year,week] [--checkout DIR]
                                  [--baseline DIR] [--postgres] [--year-minutes 15]

``--checkout DIR`` runs another checkout's code (its dev_server, definitions,
instance config) with this bench; ``--baseline DIR`` measures that checkout
first and this one after, in the same run. Its last line is
``backfill flow: first marts N s, marts lag M s, overhead X``: N and M the
worst over the scenarios, X the 2024-size week's.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from tests.archive_server import ArchiveServer  # noqa: E402
from tests.dagster_dev import (  # noqa: E402
    BACKFILL_DETAILS,
    CANCEL,
    DagsterDev,
    asset_groups,
    graphql,
    launch_asset_backfill,
)
from tests.loopback import free_port  # noqa: E402

OUT = HERE / "out" / "backfill_flow"
KEY_FORMAT = "%Y-%m-%d-%H:%M"
EVENTS = ("gharchive", "events")
MARTS = ("analytics", "daily_event_counts")
# The usual backfill as the docs of each version say it: the hours' group
# where the definitions have it (its "Materialize all"), else every asset but
# the report (the docs before it).
HOURS_GROUP = "archive_hours"
POLL_SECONDS = 5.0
MARTS_GRACE_SECONDS = 300.0


@dataclass
class Scenario:
    name: str
    first_hour: datetime
    hours: int
    events: int
    follow_minutes: float
    cancel: bool = False

    @property
    def keys(self) -> list[str]:
        return [
            (self.first_hour + timedelta(hours=i)).strftime(KEY_FORMAT) for i in range(self.hours)
        ]


def scenarios(args) -> dict[str, Scenario]:
    return {
        "month": Scenario("month", datetime(2024, 6, 1, tzinfo=UTC), 30 * 24, args.small_events, 60),
        "year": Scenario(
            "year", datetime(2024, 1, 1, tzinfo=UTC), 366 * 24, args.small_events,
            args.year_minutes, cancel=True,
        ),
        "week": Scenario(
            "week", datetime(2024, 3, 4, tzinfo=UTC), 7 * 24, args.week_events, 90
        ),
    }  # fmt: skip


# -- mirrors -------------------------------------------------------------------------------


def file_name(hour: datetime) -> str:
    return f"{hour:%Y-%m-%d}-{hour.hour}.json.gz"


def small_mirror(scenario: Scenario) -> Path:
    """Generated hours of ``scenario.events`` events each (cached)."""
    from tests.synthetic import ArchiveFaker, write_hour

    mirror = OUT / f"mirror-{scenario.events}"
    faker = ArchiveFaker(seed=37, actors=2_000, repos=1_500)
    for index in range(scenario.hours):
        hour = scenario.first_hour + timedelta(hours=index)
        if not (mirror / file_name(hour)).exists():
            write_hour(mirror, hour, faker.hour(hour, scenario.events))
    return mirror


TEMPLATE_HOUR = datetime(2024, 1, 1, 5, tzinfo=UTC)  # bench/clean_hour.py's
EVENT_ID = re.compile(rb'^\{"id":"(\d+)"', re.MULTILINE)


def large_mirror(scenario: Scenario) -> Path:
    """bench/clean_hour.py's generated hour moved to each hour of the scenario:
    its events' ids shifted by a million an hour and their times to that hour."""
    from isal import igzip

    mirror = OUT / f"mirror-{scenario.events}"
    mirror.mkdir(parents=True, exist_ok=True)
    todo = [
        scenario.first_hour + timedelta(hours=i)
        for i in range(scenario.hours)
        if not (mirror / file_name(scenario.first_hour + timedelta(hours=i))).exists()
    ]
    if not todo:
        return mirror
    template = HERE / "out" / f"hour-{scenario.events}.json.gz"
    if not template.exists():
        subprocess.run(
            [sys.executable, str(HERE / "clean_hour.py"), "--build", str(scenario.events),
             str(template)],
            check=True,
        )  # fmt: skip
    data = igzip.decompress(template.read_bytes())
    old_prefix = TEMPLATE_HOUR.strftime('"created_at":"%Y-%m-%dT%H:').encode()
    for hour in todo:
        shift = int((hour - scenario.first_hour).total_seconds() // 3600 + 1) * 1_000_000
        moved = EVENT_ID.sub(lambda m, shift=shift: b'{"id":"%d"' % (int(m.group(1)) + shift), data)
        moved = moved.replace(old_prefix, hour.strftime('"created_at":"%Y-%m-%dT%H:').encode())
        partial = mirror / (file_name(hour) + ".partial")
        partial.write_bytes(igzip.compress(moved, compresslevel=1))
        partial.rename(mirror / file_name(hour))
    return mirror


# -- what the instance says ----------------------------------------------------------------


@dataclass
class Watch:
    """What the instance says, read every few seconds: when each hour loaded,
    each day's marts were built, and the runs."""

    launched_wall: float
    hours_per_day: dict[str, int]
    loaded: dict[str, float] = field(default_factory=dict)  # hour key -> load time
    marts: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    cursors: dict[str, int] = field(default_factory=dict)

    def poll(self, instance) -> None:
        import dagster as dg

        for key, sink in ((EVENTS, self._loaded), (MARTS, self._built)):
            asset_key = dg.AssetKey(list(key))
            while True:
                result = instance.fetch_materializations(
                    dg.AssetRecordsFilter(
                        asset_key=asset_key, after_storage_id=self.cursors.get(key[-1])
                    ),
                    limit=1000,
                    ascending=True,
                )
                for record in result.records:
                    sink(record.partition_key, record.timestamp)
                    self.cursors[key[-1]] = record.storage_id
                if not result.has_more:
                    break

    def _loaded(self, key: str, when: float) -> None:
        self.loaded[key] = when

    def _built(self, day: str, when: float) -> None:
        self.marts[day].append(when)

    def day_loaded(self, day: str) -> float | None:
        """When the day's last hour loaded, once every hour of it has."""
        times = [t for k, t in self.loaded.items() if k.startswith(day)]
        return max(times) if len(times) == self.hours_per_day[day] else None

    def lags(self, now: float) -> dict[str, tuple[float, bool]]:
        """Each loaded day: (seconds from its last hour to its marts, built)."""
        lags = {}
        for day in self.hours_per_day:
            loaded = self.day_loaded(day)
            if loaded is None:
                continue
            after = [t for t in self.marts.get(day, []) if t >= loaded]
            lags[day] = (after[0] - loaded, True) if after else (now - loaded, False)
        return lags

    def first_marts(self) -> float | None:
        built = [t for times in self.marts.values() for t in times]
        return min(built) - self.launched_wall if built else None


def run_figures(instance, launched_wall: float) -> dict:
    """Per run: queued, start (dequeue to first step), steps, after; and the wall."""
    import dagster as dg

    records = instance.get_run_records(dg.RunsFilter(created_after=datetime.fromtimestamp(
        launched_wall - 1, UTC)))  # fmt: skip
    queued, start, after, steps_sum, ends = [], [], [], 0.0, []
    for record in records:
        run = record.dagster_run
        stats = [s for s in instance.get_run_step_stats(run.run_id) if s.start_time and s.end_time]
        steps_sum += sum(s.end_time - s.start_time for s in stats)
        if record.end_time:
            ends.append(record.end_time)
        dequeued = next(
            (
                e.timestamp
                for e in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_STARTING)
            ),
            None,
        )
        if dequeued is None or not stats:
            continue
        queued.append(dequeued - record.create_timestamp.timestamp())
        start.append(min(s.start_time for s in stats) - dequeued)
        if record.end_time:
            after.append(record.end_time - max(s.end_time for s in stats))
    return {
        "runs": len(records),
        "steps_seconds": steps_sum,
        "last_end": max(ends) if ends else None,
        "queued": queued,
        "start": start,
        "after": after,
    }


def median(values: list[float]) -> str:
    return f"{statistics.median(values):.1f}" if values else "-"


# -- one scenario --------------------------------------------------------------------------


def usual_selection(port: int) -> tuple[str, list[dict]]:
    """The assets the docs' usual backfill selects, and what it is called."""
    groups = asset_groups(port)
    if HOURS_GROUP in groups:
        return f"group {HOURS_GROUP} (Materialize all)", groups[HOURS_GROUP]
    everything = [key for keys in groups.values() for key in keys]
    return "every asset but daily_report", [
        key for key in everything if key["path"] != ["daily_report"]
    ]


def measure(scenario: Scenario, checkout: Path, postgres: bool, start: str) -> dict:
    from gharchive_assets.instance.local_instance import instance_at
    from tests.postgres import postgres_cluster, postgres_config

    mirror = small_mirror(scenario) if scenario.events < 10_000 else large_mirror(scenario)
    keys = scenario.keys
    hours_per_day: dict[str, int] = defaultdict(int)
    for key in keys:
        hours_per_day[key[:10]] += 1
    with contextlib.ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="flow-", dir=OUT)))
        server = stack.enter_context(ArchiveServer(mirror))
        config = None
        if postgres:
            config = postgres_config(stack.enter_context(postgres_cluster()), "dagster", checkout)
        env = {
            "GHARCHIVE_BASE_URL": server.url,
            "GHARCHIVE_DATA_DIR": str(scratch / "data"),
            "GHARCHIVE_START": start,
            "PYTHONWARNINGS": "ignore",
        }
        dev = DagsterDev(scratch / "home", env, free_port(), config, repo=checkout)
        stack.callback(dev.stop)
        label, selection = usual_selection(dev.port)
        print(f"  {scenario.name}: {len(keys):,} hours of {scenario.events:,} events, {label}")
        instance = stack.enter_context(instance_at(scratch / "home"))
        launched = time.monotonic()
        watch = Watch(time.time(), dict(hours_per_day))
        backfill_id = launch_asset_backfill(dev.port, keys, selection)
        first_run = finished = None
        deadline = launched + scenario.follow_minutes * 60
        shown = -60.0
        overview = OverviewTimer(dev.port, backfill_id)
        stack.callback(overview.stop)
        while True:
            time.sleep(POLL_SECONDS)
            watch.poll(instance)
            status = instance.get_backfill(backfill_id).status.value
            elapsed = time.monotonic() - launched
            if first_run is None and instance.get_runs_count(backfill_runs(backfill_id)):
                first_run = elapsed
            unfinished = instance.get_runs_count(
                _runs_filter(statuses=("QUEUED", "NOT_STARTED", "STARTING", "STARTED"))
            )
            lags = watch.lags(time.time())
            built = len([d for d, (_, ok) in lags.items() if ok])
            if finished is None and status != "REQUESTED" and unfinished == 0:
                finished = elapsed
            # Past the backfill's end, until every loaded day's marts (the sensor's
            # last build), for at most MARTS_GRACE_SECONDS.
            done = finished is not None and (
                built == len(lags) or elapsed - finished > MARTS_GRACE_SECONDS
            )
            if elapsed - shown >= 60 or done:
                shown = elapsed
                print(
                    f"    {elapsed:6.0f} s  {len(watch.loaded):5} hours loaded, {built:3} days' "
                    f"marts, {unfinished} runs unfinished ({status}); the backfill "
                    f"page's Overview: {overview.latest()}",
                    flush=True,
                )
            if done or time.monotonic() > deadline:
                break
        ended = time.time()
        figures = run_figures(instance, watch.launched_wall)
        cancel = cancel_backfill(dev.port, backfill_id, instance) if scenario.cancel else None
    lags = watch.lags(ended)
    last_end = figures["last_end"] or ended
    wall = last_end - watch.launched_wall
    result = {
        "scenario": scenario.name,
        "selection": label,
        "finished": done,
        "first_run": first_run,
        "first_marts": watch.first_marts(),
        "days_loaded": len(lags),
        "days_built": sum(ok for _, ok in lags.values()),
        "worst_lag": max((lag for lag, _ in lags.values()), default=None),
        "worst_lag_built": all(ok for _, ok in lags.values()),
        "median_lag": statistics.median([lag for lag, _ in lags.values()]) if lags else None,
        "hours_loaded": len(watch.loaded),
        "wall": wall,
        "overhead": wall / figures["steps_seconds"] if figures["steps_seconds"] else None,
        "runs": figures["runs"],
        "queued": median(figures["queued"]),
        "start": median(figures["start"]),
        "after": median(figures["after"]),
        "cancel": cancel,
        "overview": overview.worst(),
    }
    print(f"    {summary(result)}", flush=True)
    return result


class OverviewTimer:
    """Asks the backfill page's Overview query (its per-asset progress table) again
    and again in a thread of its own, as the open page does, and keeps how long
    each answer took; one still unanswered counts for as long as it has waited."""

    def __init__(self, port: int, backfill_id: str):
        self.port, self.backfill_id = port, backfill_id
        self.seconds: list[float] = []
        self.asked: float | None = None
        self.stopped = threading.Event()
        threading.Thread(target=self._ask, daemon=True).start()

    def _ask(self) -> None:
        while not self.stopped.is_set():
            self.asked = time.monotonic()
            try:
                graphql(self.port, BACKFILL_DETAILS, {"backfillId": self.backfill_id}, timeout=3600)
            except Exception:  # the server stopped with the scenario
                return
            self.seconds.append(time.monotonic() - self.asked)
            self.asked = None
            self.stopped.wait(10)

    def waiting(self) -> float:
        return time.monotonic() - self.asked if self.asked is not None else 0.0

    def latest(self) -> str:
        if self.waiting() > 10:
            return f"no answer for {self.waiting():.0f} s"
        return f"answered in {self.seconds[-1]:.1f} s" if self.seconds else "not asked yet"

    def worst(self) -> float | None:
        return max([*self.seconds, self.waiting()], default=None)

    def stop(self) -> None:
        self.stopped.set()


def backfill_runs(backfill_id: str, statuses=None):
    import dagster as dg

    return dg.RunsFilter(tags={"dagster/backfill": backfill_id}, statuses=statuses)


def _runs_filter(statuses):
    import dagster as dg

    return dg.RunsFilter(statuses=[dg.DagsterRunStatus[s] for s in statuses])


def cancel_backfill(port: int, backfill_id: str, instance) -> dict:
    """Cancel as the UI does; seconds until no run of it is queued, and until CANCELED."""
    import dagster as dg

    graphql(port, CANCEL, {"id": backfill_id})
    asked = time.monotonic()
    queue_empty = canceled = None
    asked_again = 0
    while time.monotonic() - asked < 600 and canceled is None:
        queued = instance.get_runs_count(backfill_runs(backfill_id, [dg.DagsterRunStatus.QUEUED]))
        if queued == 0 and queue_empty is None:
            queue_empty = time.monotonic() - asked
        status = instance.get_backfill(backfill_id).status.value
        if status == "CANCELED":
            canceled = time.monotonic() - asked
        elif status == "REQUESTED":  # the daemon wrote over the cancel (dagster-io/dagster#7094)
            asked_again += 1
            graphql(port, CANCEL, {"id": backfill_id})
        time.sleep(1)
    return {"queue_empty": queue_empty, "canceled": canceled, "asked_again": asked_again}


def summary(result: dict) -> str:
    def s(value, fmt="{:.0f} s"):
        return "-" if value is None else fmt.format(value)

    lag = s(result["worst_lag"])
    if result["worst_lag"] is not None and not result["worst_lag_built"]:
        lag = f">={lag}"
    text = (
        f"first run {s(result['first_run'])}, first marts {s(result['first_marts'])}, "
        f"days built {result['days_built']} of {result['days_loaded']} loaded, worst lag {lag} "
        f"(median {s(result['median_lag'])}), {result['hours_loaded']} hours, wall "
        f"{s(result['wall'])}, overhead {s(result['overhead'], '{:.2f}')}; per run (median): "
        f"queued {result['queued']} s, dequeue to first step {result['start']} s, after last "
        f"step {result['after']} s; {result['runs']} runs; the Overview's query at worst "
        f"{s(result['overview'], '{:.1f} s')}"
    )
    if result["cancel"]:
        text += (
            f"; cancel: queue empty after {s(result['cancel']['queue_empty'])}, "
            f"CANCELED after {s(result['cancel']['canceled'])}"
            + (
                f" (asked again {result['cancel']['asked_again']} times)"
                if result["cancel"]["asked_again"]
                else ""
            )
        )
    return text


def measure_checkout(checkout: Path, names: list[str], args) -> list[dict]:
    every = scenarios(args)
    results = []
    for name in names:
        scenario = every[name]
        if args.follow_minutes:
            scenario.follow_minutes = args.follow_minutes
        results.append(measure(scenario, checkout, args.postgres, args.start))
    return results


def verdict(results: list[dict]) -> str:
    firsts = [r["first_marts"] for r in results]
    lags = [r["worst_lag"] for r in results if r["worst_lag"] is not None]
    first = "never" if None in firsts or not firsts else f"{max(firsts):.0f} s"
    lag = f"{max(lags):.0f} s" if lags else "-"
    week = [r["overhead"] for r in results if r["scenario"] == "week" and r["overhead"]]
    overhead = f"{week[0]:.2f}" if week else "-"
    return f"first marts {first}, marts lag {lag}, overhead {overhead}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", default="month,year,week")
    parser.add_argument("--checkout", type=Path, default=REPO, help="whose code runs")
    parser.add_argument("--baseline", type=Path, help="a checkout measured first, side by side")
    parser.add_argument("--postgres", action="store_true", help="the instance in PostgreSQL")
    parser.add_argument("--start", default="2011-02-12-00:00", help="GHARCHIVE_START")
    parser.add_argument("--year-minutes", type=float, default=15.0)
    parser.add_argument("--follow-minutes", type=float, help="every scenario's (a short try)")
    parser.add_argument("--small-events", type=int, default=50)
    parser.add_argument("--week-events", type=int, default=200_000)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    names = args.scenarios.split(",")
    storage = "PostgreSQL" if args.postgres else "SQLite"
    runs = [("baseline", args.baseline)] if args.baseline else []
    runs.append(("this checkout" if args.checkout == REPO else "checkout", args.checkout))
    verdicts = []
    for label, checkout in runs:
        print(f"{label}: {checkout} ({storage} instance, GHARCHIVE_START {args.start})", flush=True)
        results = measure_checkout(checkout.resolve(), names, args)
        verdicts.append(f"{label}: {verdict(results)}")
    for line in verdicts[:-1]:
        print(line)
    print(f"backfill flow: {verdict(results)}")


if __name__ == "__main__":
    main()
