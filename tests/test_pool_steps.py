"""A step queued for a pool beside a free slot is given it (fast: a real
instance's event log storage, no process)."""

import dagster as dg

from gharchive_assets.core.concurrency import WAREHOUSE_SWAPS
from gharchive_assets.defs.pool_steps import assign_free_slots


def test_a_step_queued_beside_a_free_slot_is_assigned_and_claims_it():
    with dg.instance_for_test() as instance:
        storage = instance.event_log_storage
        storage.set_concurrency_slots(WAREHOUSE_SWAPS, 1)
        # Run a holds the slot; b and c queue behind it, as Dagster queues them.
        assert storage.claim_concurrency_slot(WAREHOUSE_SWAPS, "a", "events").is_claimed
        assert not storage.claim_concurrency_slot(WAREHOUSE_SWAPS, "b", "events").is_assigned
        assert not storage.claim_concurrency_slot(WAREHOUSE_SWAPS, "c", "events").is_assigned
        # The slot held: nothing to give.
        assert assign_free_slots(instance) == {}
        # b joined the queue just after a's slot was freed (the missed claim):
        # freed with nobody to assign, the slot stays free and b waits.
        storage.free_concurrency_slot_for_step("a", "events")
        storage.free_concurrency_slot_for_step("b", "events")
        storage.free_concurrency_slot_for_step("c", "events")
        storage.add_pending_step(WAREHOUSE_SWAPS, "b", "events", should_assign=False)
        storage.add_pending_step(WAREHOUSE_SWAPS, "c", "events", should_assign=False)
        assert not storage.claim_concurrency_slot(WAREHOUSE_SWAPS, "b", "events").is_assigned

        assert assign_free_slots(instance) == {WAREHOUSE_SWAPS: 1}
        assert storage.claim_concurrency_slot(WAREHOUSE_SWAPS, "b", "events").is_claimed
        # One slot, one step: c still waits, and is not assigned beside b.
        assert assign_free_slots(instance) == {}
        assert not storage.claim_concurrency_slot(WAREHOUSE_SWAPS, "c", "events").is_assigned
        # b done: Dagster's own free gives c the slot.
        storage.free_concurrency_slot_for_step("b", "events")
        assert storage.claim_concurrency_slot(WAREHOUSE_SWAPS, "c", "events").is_claimed
