"""A step waiting for a pool slot that is free gets it.

Dagster's step claims a pool slot in two moves: it asks whether a slot is
free, then puts itself in the pool's queue, assigned only if the answer was
yes (``SqlEventLogStorage.claim_concurrency_slot``). A slot freed between the
two moves assigns nobody (the step was not queued yet), and nothing assigns
it later: a queued step is assigned only when a slot is freed. With pools of
one slot (DuckDB's one writer), the run then waits for ever, and every run
after it. Seen in ``tests/test_ui_backfill.py``: a run of hours spinning on
``gharchive__events`` for 9 minutes beside a free ``gharchive_warehouse_swaps``
slot.

This sensor looks at the project's pools every few seconds and, where a slot
is neither claimed nor assigned while a step waits, assigns the head of the
queue (``assign_pending_steps``, which Dagster calls when slots are added).
The slot rows stay the semaphore: an assignment beyond the free slots claims
nothing (``_claim_concurrency_slot`` refuses it) and waits as before.
"""

import dagster as dg

from gharchive_assets.core.concurrency import DBT_BUILDS, WAREHOUSE_SWAPS
from gharchive_assets.core.settings import Settings

SENSOR = "pool_steps_sensor"
SENSOR_SECONDS = 10
POOLS = (WAREHOUSE_SWAPS, DBT_BUILDS)


def assign_free_slots(instance: dg.DagsterInstance, pools=POOLS) -> dict[str, int]:
    """Assign a waiting step to each slot no step holds or was given; the steps
    assigned per pool."""
    storage = instance.event_log_storage
    assigned: dict[str, int] = {}
    for pool in pools:
        info = storage.get_concurrency_info(pool)
        taken = {(slot.run_id, slot.step_key) for slot in info.claimed_slots} | {
            (step.run_id, step.step_key) for step in info.pending_steps if step.assigned_timestamp
        }
        waiting = [step for step in info.pending_steps if step.assigned_timestamp is None]
        free = info.slot_count - len(taken)
        for _ in range(min(free, len(waiting))):
            storage.assign_pending_steps([pool])
            assigned[pool] = assigned.get(pool, 0) + 1
    return assigned


def pool_steps_defs(settings: Settings) -> dg.Definitions:
    @dg.sensor(
        name=SENSOR,
        minimum_interval_seconds=SENSOR_SECONDS,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=(
            "Gives a free slot of the warehouse's pools to the step waiting for it, where "
            "Dagster's claim missed it (a slot freed while the step was joining the queue)."
        ),
    )
    def pool_steps_sensor(context: dg.SensorEvaluationContext):
        assigned = assign_free_slots(context.instance)
        for pool, count in assigned.items():
            context.log.warning(f"{pool}: {count} waiting step(s) given a free slot")
        return dg.SkipReason(
            ", ".join(f"{pool}: {n} assigned" for pool, n in assigned.items())
            or "no step waits beside a free slot"
        )

    return dg.Definitions(sensors=[pool_steps_sensor])
