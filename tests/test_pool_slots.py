"""A killed run's pool slots are freed by the next run, which says so, and a
run that waits for a slot says for what and for whom."""

from __future__ import annotations

import os
import subprocess
import time
import uuid

import dagster as dg
import pytest
from dagster._core.events import EngineEventData

from gharchive_assets.core.concurrency import DBT_BUILDS, WAREHOUSE_SWAPS
from gharchive_assets.instance.pool_slots import free_dead_slots, holders, waits

# Starts processes, servers or emulators: not in the fast lane.
pytestmark = pytest.mark.slow

POOLS_OF_ONE = {"concurrency": {"pools": {"granularity": "op", "default_limit": 1}}}


def started_run(instance: dg.DagsterInstance, pid: int) -> dg.DagsterRun:
    """A run shown running, whose steps' process is ``pid`` (logged as Dagster logs it)."""
    run = instance.add_run(dg.DagsterRun(job_name="hourly_archive_job", run_id=str(uuid.uuid4())))
    instance.handle_new_event(
        dg.EventLogEntry(
            error_info=None,
            level="DEBUG",
            user_message="",
            run_id=run.run_id,
            timestamp=time.time(),
            dagster_event=dg.DagsterEvent(
                dg.DagsterEventType.RUN_START.value, job_name=run.job_name
            ),
        )
    )
    instance.report_engine_event(
        "Executing steps in process",
        run,
        EngineEventData(metadata={"pid": dg.MetadataValue.text(str(pid))}),
    )
    return instance.get_run_by_id(run.run_id)


def gone_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_dead_runs_slots_are_freed_and_waits_are_explained():
    with dg.instance_for_test(overrides=POOLS_OF_ONE) as instance:
        storage = instance.event_log_storage
        for pool in (WAREHOUSE_SWAPS, DBT_BUILDS):
            storage.set_concurrency_slots(pool, 1)
        killed = started_run(instance, gone_pid())
        living = started_run(instance, os.getpid())
        storage.claim_concurrency_slot(WAREHOUSE_SWAPS, killed.run_id, "gharchive__events")
        storage.claim_concurrency_slot(DBT_BUILDS, living.run_id, "analytics_models")
        since = time.time() - 1
        waiting = started_run(instance, os.getpid())
        assert not storage.claim_concurrency_slot(
            WAREHOUSE_SWAPS, waiting.run_id, "gharchive__events"
        ).is_claimed
        assert not storage.claim_concurrency_slot(
            DBT_BUILDS, waiting.run_id, "analytics_models"
        ).is_claimed

        said = waits(instance, since)
        assert any(
            f"run {waiting.run_id[:8]} step analytics_models has waited" in line
            and f"pool {DBT_BUILDS}" in line
            and f"held by run {living.run_id[:8]}" in line
            and "alive" in line
            for line in said
        ), said

        messages: list[str] = []
        freed = free_dead_slots(instance, messages.append)
        assert [h.run_id for h in freed] == [killed.run_id]
        assert "freed the slot of pool gharchive_warehouse_swaps" in messages[0]
        assert "its process is gone" in messages[0]
        assert instance.get_run_by_id(killed.run_id).status == dg.DagsterRunStatus.FAILURE
        # The living run keeps its slot; the waiting run can now take the freed one.
        assert [(h.pool, h.run_id) for h in holders(instance)] == [(DBT_BUILDS, living.run_id)]
        assert storage.claim_concurrency_slot(
            WAREHOUSE_SWAPS, waiting.run_id, "gharchive__events"
        ).is_claimed
        assert free_dead_slots(instance, messages.append) == []
