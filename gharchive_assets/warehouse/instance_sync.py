"""What the warehouse's ledger holds that the Dagster instance does not record.

An hour's swap commits in the warehouse, then its materialisation of
``gharchive/events`` is recorded (at once: ``for_each_hour(report_each=True)``).
A run killed between the two (``make dev`` or ``make run`` stopped with
SIGKILL, a machine that lost power) leaves the hour loaded and the UI showing
it missing. ``make dev`` and ``make run`` call :func:`record_unrecorded_hours`
before they start anything: each such hour is recorded as a runless
materialisation, with its rows and where the fact came from, so the
instance, the UI's partition status and the warehouse agree.
"""

from collections.abc import Callable
from datetime import UTC

import dagster as dg

from gharchive_assets.contract.archive_hour import key_for
from gharchive_assets.warehouse.duckdb_warehouse import WarehouseMissing

EVENTS_KEY = dg.AssetKey(["gharchive", "events"])


def unrecorded_hours(instance: dg.DagsterInstance, warehouse) -> list[tuple[str, int]]:
    """(hour key, rows) of the ledger's hours that have no materialisation of
    ``gharchive/events`` in ``instance``."""
    try:
        ledger = warehouse.query(f"select archive_hour, rows from {warehouse.loaded_hours_table}")
    except WarehouseMissing:
        return []
    recorded = instance.get_materialized_partitions(EVENTS_KEY)
    hours = [(key_for(hour.replace(tzinfo=hour.tzinfo or UTC)), rows) for hour, rows in ledger]
    return sorted((key, rows) for key, rows in hours if key not in recorded)


def sync_at_start(settings, say: Callable[[str], None]) -> None:
    """:func:`record_unrecorded_hours` for the settings' instance (DAGSTER_HOME)
    and warehouse; a warehouse that cannot be read is said, never fatal."""
    import os
    from pathlib import Path

    from gharchive_assets.instance.local_instance import instance_at
    from gharchive_assets.warehouse.target import warehouse_for

    try:
        with instance_at(Path(os.environ["DAGSTER_HOME"])) as instance:
            record_unrecorded_hours(instance, warehouse_for(settings), say)
    except Exception as error:  # the command goes on; the UI may lag the warehouse
        say(f"could not compare the warehouse's loaded hours with the instance: {error}")


def record_unrecorded_hours(
    instance: dg.DagsterInstance, warehouse, say: Callable[[str], None] = print
) -> int:
    """Record each unrecorded hour as a materialisation; how many there were."""
    hours = unrecorded_hours(instance, warehouse)
    for key, rows in hours:
        instance.report_runless_asset_event(
            dg.AssetMaterialization(
                EVENTS_KEY,
                partition=key,
                metadata={
                    "rows": rows,
                    "recorded_from": "the warehouse's ledger: the run that loaded this hour "
                    "ended before Dagster recorded it",
                },
            )
        )
    if hours:
        listed = ", ".join(key for key, _ in hours[:5]) + (" ..." if len(hours) > 5 else "")
        say(
            f"{len(hours)} hours loaded in the warehouse by a run that was stopped before "
            f"Dagster recorded them, now recorded: {listed}"
        )
    return len(hours)
