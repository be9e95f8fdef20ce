"""The slots of the instance's pools: who holds them, who waits, and freeing
the slots of runs whose process is gone.

A step of ``gharchive/events`` or dbt takes a slot of its pool
(concurrency.py) and gives it back when it ends. A run killed with ``kill -9``
(or a machine that rebooted) never gives it back, and every later run would
wait for it for good, silently. ``make run`` starts this module beside its run:

python -m gharchive_assets.instance.pool_slots watch   (frees dead runs' slots, then says
                                                every 30 s what a new run waits for)
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from dagster import DagsterInstance, DagsterRunStatus

from gharchive_assets.core.concurrency import DBT_BUILDS, WAREHOUSE_SWAPS
from gharchive_assets.core.stop_signals import take_back_stop_signals
from gharchive_assets.instance.run_launcher import process_alive, run_worker_pid

POOLS = (WAREHOUSE_SWAPS, DBT_BUILDS)
WATCH_EVERY_SECONDS = 30.0
FINISHED = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}


@dataclass(frozen=True)
class Holder:
    """A run holding a slot of a pool, and whether its process still lives."""

    pool: str
    run_id: str
    step_key: str
    pid: int | None
    alive: bool
    why_dead: str = ""

    def describe(self) -> str:
        process = f"pid {self.pid}" if self.pid else "no pid logged yet"
        state = "alive" if self.alive else self.why_dead
        return f"run {self.run_id[:8]} (step {self.step_key}, {process}, {state})"


def holders(instance: DagsterInstance, pools=POOLS) -> list[Holder]:
    """Every claimed slot of ``pools`` with its run's state."""
    found = []
    for pool in pools:
        for slot in instance.event_log_storage.get_concurrency_info(pool).claimed_slots:
            found.append(_holder(instance, pool, slot.run_id, slot.step_key))
    return found


def _holder(instance: DagsterInstance, pool: str, run_id: str, step_key: str) -> Holder:
    record = instance.get_run_record_by_id(run_id)
    if record is None:
        return Holder(pool, run_id, step_key, None, False, "its run is not in this instance")
    run = record.dagster_run
    if run.status in FINISHED:
        return Holder(pool, run_id, step_key, None, False, f"its run ended {run.status.value}")
    pid = run_worker_pid(instance, run_id)
    if pid is None or process_alive(pid, record.start_time):
        return Holder(pool, run_id, step_key, pid, True)
    return Holder(pool, run_id, step_key, pid, False, "its process is gone (killed or crashed)")


def free_dead_slots(instance: DagsterInstance, say: Callable[[str], None]) -> list[Holder]:
    """Give back the slots of runs that cannot give them back themselves, mark
    such a run failed when it is still shown running, and say so."""
    freed = []
    for holder in holders(instance):
        if holder.alive:
            continue
        instance.event_log_storage.free_concurrency_slots_for_run(holder.run_id)
        record = instance.get_run_record_by_id(holder.run_id)
        if record and record.dagster_run.status not in FINISHED:
            instance.report_run_failed(
                record.dagster_run,
                f"the run's process (pid {holder.pid}) is gone: its pool slots were freed "
                "by a later run; re-run its partitions",
            )
        say(
            f"freed the slot of pool {holder.pool} held by {holder.describe()}; "
            "its hours were not finished: run them again"
        )
        freed.append(holder)
    return freed


def waits(instance: DagsterInstance, since: float) -> list[str]:
    """What runs created after ``since`` wait for: each pending step, its pool
    and the runs holding that pool's slots."""
    lines = []
    for pool in POOLS:
        info = instance.event_log_storage.get_concurrency_info(pool)
        whom = None  # the pool's holders, read once and only when a step waits
        for pending in info.pending_steps:
            if pending.assigned_timestamp is not None:
                continue
            record = instance.get_run_record_by_id(pending.run_id)
            if record is None or record.create_timestamp.timestamp() < since:
                continue
            waited = datetime.now(UTC) - pending.enqueued_timestamp.astimezone(UTC)
            if whom is None:
                held_by = holders(instance, (pool,))
                whom = "; ".join(h.describe() for h in held_by) or "nobody (being handed over)"
            lines.append(
                f"run {pending.run_id[:8]} step {pending.step_key} has waited "
                f"{waited.total_seconds():.0f} s for a slot of pool {pool} "
                f"({info.slot_count} slot(s)), held by {whom}"
            )
    return lines


def watch(
    instance: DagsterInstance,
    say: Callable[[str], None],
    every: float = WATCH_EVERY_SECONDS,
    keep_going: Callable[[], bool] = lambda: True,
) -> None:
    """Free dead runs' slots now and at each tick; every ``every`` seconds, say
    what the runs started since wait for."""
    since = time.time()
    free_dead_slots(instance, say)
    while keep_going():
        time.sleep(every)
        if not keep_going():
            return
        free_dead_slots(instance, say)
        for line in waits(instance, since):
            say(f"waiting: {line}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gharchive_assets.instance.pool_slots")
    parser.add_argument("command", choices=["watch", "free"])
    parser.add_argument(
        "--every",
        type=float,
        default=float(os.environ.get("GHARCHIVE_POOL_WATCH_SECONDS", WATCH_EVERY_SECONDS)),
    )
    args = parser.parse_args(argv)
    # make run stops the watcher with SIGTERM, even one started from a script.
    take_back_stop_signals()
    parent = os.getppid()
    from gharchive_assets.core.local_env import apply_dotenv

    apply_dotenv()  # DAGSTER_HOME as every make command reads it (the environment wins)

    def say(message: str) -> None:
        print(f"pool slots: {message}", flush=True)

    with DagsterInstance.get() as instance:
        if args.command == "free":
            free_dead_slots(instance, say)
        else:  # until the `make run` that started it ends
            watch(instance, say, args.every, keep_going=lambda: os.getppid() == parent)
    return 0


if __name__ == "__main__":
    sys.exit(main())
