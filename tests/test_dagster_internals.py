"""What the project reads of Dagster beyond its documented API, held here so an
upgrade that changes it fails loudly, naming it, instead of a sensor quietly
doing nothing. Every such use in gharchive_assets/ has a test here, and
``test_every_private_import_is_held_here`` finds any new one:

- event_log.py: SqliteEventLogStorage, ConfigurableClassData and the storage's
  ``_connect``, ``_initdb``, ``_initialized_dbs``, ``_db_lock``;
- console_log.py: EVENT_TYPE_TO_DISPLAY_STRING;
- run_launcher.py: CheckRunHealthResult, WorkerStatus;
- dbt_project.py (DbtCli): dagster-dbt's ``_cli_version`` and
  ``_initialize_dbt_core_adapter``;
- compute_logs.py: GCSComputeLogManager's ``_bucket`` and ``_gcs_key``;
- defs/backfill_cancel.py: ``instance.get_backfills`` and PartitionBackfill;
- defs/pool_steps.py and pool_slots.py: the event log's concurrency calls;
- the planned-events switch's caveat (failed partitions show as missing).
"""

import inspect
import os

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
    """gharchive_assets/instance/event_log.py (the local instance's event log) replaces
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


# The private imports gharchive_assets/ makes, each held by a test here.
HELD = {
    "from dagster._core.storage.event_log import SqliteEventLogStorage",
    "from dagster._serdes import ConfigurableClassData",
    "from dagster._core.events import EVENT_TYPE_TO_DISPLAY_STRING",
    "from dagster._core.launcher import CheckRunHealthResult, WorkerStatus",
}


def test_every_private_import_is_held_here():
    from pathlib import Path

    package = Path(__file__).resolve().parents[1] / "gharchive_assets"
    found = {
        line.strip()
        for path in package.rglob("*.py")
        for line in path.read_text().splitlines()
        if line.strip().startswith(("from dagster._", "import dagster._", "from dagster_dbt.core"))
    }
    assert found == HELD, f"a private Dagster import not held by a test here: {found - HELD}"


def test_the_console_log_names_events_as_dagster_does():
    """console_log.py: EVENT_TYPE_TO_DISPLAY_STRING, by DagsterEventType."""
    from dagster._core.events import EVENT_TYPE_TO_DISPLAY_STRING

    assert EVENT_TYPE_TO_DISPLAY_STRING[dg.DagsterEventType.RUN_START] == "RUN_START"


def test_the_run_launcher_reports_health_as_dagster_reads_it():
    """run_launcher.py: CheckRunHealthResult(status, msg) and WorkerStatus."""
    from dagster._core.launcher import CheckRunHealthResult, WorkerStatus

    assert {"RUNNING", "FAILED", "SUCCESS", "UNKNOWN"} <= {s.name for s in WorkerStatus}
    result = CheckRunHealthResult(WorkerStatus.FAILED, "gone")
    assert (result.status, result.msg) == (WorkerStatus.FAILED, "gone")


def test_dagster_dbt_still_asks_what_dbt_cli_overrides():
    """dbt_project.py's DbtCli replaces ``_cli_version`` (a cached property) and
    ``_initialize_dbt_core_adapter(args)``: each must still be what dagster-dbt's
    dbt resource calls, or the override saves nothing."""
    from dagster_dbt import DbtCliResource

    source = inspect.getsource(DbtCliResource)
    assert "self._cli_version" in source, "dagster-dbt no longer reads _cli_version"
    adapter = inspect.signature(DbtCliResource._initialize_dbt_core_adapter).parameters
    assert list(adapter) == ["self", "args"]
    assert "self._initialize_dbt_core_adapter(" in source


def test_the_compute_log_manager_finds_the_bucket_and_keys_it_signs():
    """compute_logs.py: GCSComputeLogManager's ``_bucket`` (set in __init__),
    ``_gcs_key(log_key, io_type)`` and ``is_capture_complete(log_key)``."""
    from dagster_gcp.gcs.compute_log_manager import GCSComputeLogManager

    assert "self._bucket = " in inspect.getsource(GCSComputeLogManager.__init__)
    assert list(inspect.signature(GCSComputeLogManager._gcs_key).parameters)[:3] == [
        "self", "log_key", "io_type",
    ]  # fmt: skip
    assert callable(GCSComputeLogManager.is_capture_complete)


def test_the_pool_sensors_find_the_event_logs_concurrency_calls():
    """defs/pool_steps.py and pool_slots.py: ``get_concurrency_info(pool)`` with
    ``claimed_slots`` and ``pending_steps``, ``assign_pending_steps([pool])``,
    ``free_concurrency_slots_for_run(run_id)``."""
    with dg.instance_for_test() as instance:
        storage = instance.event_log_storage
        info = storage.get_concurrency_info("a-pool")
        assert hasattr(info, "claimed_slots") and hasattr(info, "pending_steps")
        for name in ("assign_pending_steps", "free_concurrency_slots_for_run"):
            assert callable(getattr(storage, name, None)), name


def test_a_runs_process_is_alive_only_if_it_is_the_one_that_ran_it():
    """run_launcher.py's health check, through psutil: a pid that no process
    has is gone, and a live pid whose process started after the run (a reused
    pid) is not the run's."""
    import time

    from gharchive_assets.instance.run_launcher import PID_REUSE_SLACK_SECONDS, process_alive

    assert process_alive(os.getpid(), time.time())
    assert not process_alive(os.getpid(), time.time() - 10 * 365 * 86400)  # started long after
    assert not process_alive(2**22 + 1, None)  # beyond Linux's largest pid
    assert PID_REUSE_SLACK_SECONDS > 0


def test_an_older_local_dagster_yaml_is_pointed_at_the_modules_new_homes(tmp_path):
    """make setup: a DAGSTER_HOME/dagster.yaml copied by an earlier release names
    gharchive_assets.event_log and .run_launcher, which now live in instance/;
    the instance would not load. It is rewritten once, and loads."""
    from gharchive_assets.instance.local_instance import LOCAL_CONFIG, follow_moved_modules

    config = tmp_path / "dagster.yaml"
    config.write_text(LOCAL_CONFIG.read_text().replace(".instance.", "."))
    assert "module: gharchive_assets.event_log\n" in config.read_text()
    assert follow_moved_modules(config)
    assert config.read_text() == LOCAL_CONFIG.read_text()
    assert not follow_moved_modules(config)
