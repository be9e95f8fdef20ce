"""What the project reads of Dagster beyond its documented API, held here so an
upgrade that changes it fails loudly, naming it, instead of a sensor quietly
doing nothing."""

import inspect

import dagster as dg


def test_backfill_cancel_sensor_can_list_backfills_and_read_their_status():
    """gharchive_assets/defs/backfill_cancel.py: ``instance.get_backfills(limit=…)``,
    each backfill's ``backfill_id`` and ``status.value == "CANCELING"``."""
    from dagster._core.execution.backfill import BulkActionStatus, PartitionBackfill

    assert "limit" in inspect.signature(dg.DagsterInstance.get_backfills).parameters
    assert BulkActionStatus.CANCELING.value == "CANCELING"
    assert {"backfill_id", "status"} <= set(PartitionBackfill._fields), (
        "PartitionBackfill no longer has backfill_id and status: "
        "gharchive_assets/defs/backfill_cancel.py reads both"
    )
    with dg.instance_for_test() as instance:
        assert list(instance.get_backfills(limit=20)) == []
