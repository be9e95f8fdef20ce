"""What the project reads of Dagster beyond its documented API, held here so an
upgrade that changes it fails loudly, naming it, instead of a sensor quietly
doing nothing."""

import inspect

import dagster as dg
import pytest


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


@pytest.mark.parametrize("switch, status", [("", "FAILED"), ("1", None)])
def test_with_one_planned_event_per_asset_a_failed_runs_partitions_show_as_missing(
    monkeypatch, switch, status
):
    """DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS=1, set on every process
    that creates runs (Makefile, Helm values): Dagster then marks no partition
    of a failed run failed, as its source says. docs/backfills.md tells users
    so, and no sensor here reads the failed status (archive_hours_sensor and
    models_follow_hours_sensor read materialisations and runs in flight)."""
    monkeypatch.setenv("DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS", switch)
    days = dg.DailyPartitionsDefinition(start_date="2024-01-01")

    @dg.asset(partitions_def=days, backfill_policy=dg.BackfillPolicy.single_run())
    def fails(context):
        raise RuntimeError("boom")

    keys = ["2024-01-01", "2024-01-02"]
    range_tags = {"dagster/asset_partition_range_start": keys[0],
                  "dagster/asset_partition_range_end": keys[-1]}  # fmt: skip
    with dg.instance_for_test() as instance:
        result = dg.materialize([fails], instance=instance, raise_on_error=False, tags=range_tags)
        assert not result.success
        found = instance.get_status_by_partition(fails.key, keys, days)
    assert {key: s.value if s else None for key, s in found.items()} == dict.fromkeys(keys, status)


def test_the_batched_sqlite_event_log_finds_what_it_overrides_and_calls():
    """gharchive_assets/event_log.py (the local instance's event log) replaces
    ``_connect(shard)`` and calls ``conn_string_for_shard``, ``_initdb``,
    ``_initialized_dbs`` and ``_db_lock`` of Dagster's SqliteEventLogStorage."""
    from dagster._core.storage.event_log import SqliteEventLogStorage

    assert list(inspect.signature(SqliteEventLogStorage._connect).parameters) == ["self", "shard"]
    initdb = inspect.signature(SqliteEventLogStorage._initdb).parameters
    assert list(initdb)[:2] == ["self", "engine"]
    assert all(p.default is not p.empty for p in list(initdb.values())[2:]), (
        "called as _initdb(engine)"
    )
    for name in ("conn_string_for_shard", "store_event", "store_event_batch"):
        assert callable(getattr(SqliteEventLogStorage, name, None)), name
    with dg.instance_for_test() as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, SqliteEventLogStorage)
        assert isinstance(storage._initialized_dbs, set)
        assert hasattr(storage._db_lock, "acquire")
