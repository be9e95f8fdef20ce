"""Running the real definitions for a range of hours, as the CLI and the UI do."""

from __future__ import annotations

import duckdb

from gharchive_assets.definitions import build_definitions
from gharchive_assets.settings import Settings


def materialize_hours(
    settings: Settings, instance, first: str, last: str, selection=None, run_config=None
):
    """One run over the hours first..last (inclusive), like ``--partition-range``."""
    defs = build_definitions(settings)
    job = defs.resolve_job_def("hourly_archive_job")
    tags = {}
    if first == last:
        partition_key = first
    else:
        partition_key = None
        tags = {
            "dagster/asset_partition_range_start": first,
            "dagster/asset_partition_range_end": last,
        }
    return job.execute_in_process(
        instance=instance,
        partition_key=partition_key,
        tags=tags,
        asset_selection=selection,
        run_config=run_config,
        raise_on_error=False,
    )


def query(settings: Settings, sql: str, parameters=()) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        return connection.execute(sql, list(parameters)).fetchall()


def step_failure_message(result) -> str:
    """The error messages of a run's failed steps, joined."""
    return "\n".join(
        event.event_specific_data.error.message
        for event in result.all_events
        if event.event_type_value == "STEP_FAILURE"
    )
