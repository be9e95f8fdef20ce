"""Running the real definitions for a range of hours, as the CLI and the UI do."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb

from gharchive_assets.cli.make_run import HOURS
from gharchive_assets.core.partitions import day_of
from gharchive_assets.core.settings import Settings
from gharchive_assets.definitions import build_definitions
from gharchive_assets.defs.github import github_defs
from gharchive_assets.defs.models_follow import MODELS_JOB
from gharchive_assets.defs.resources import resources_for


def materialize_hours(
    settings: Settings, instance, first: str, last: str, selection=None, run_config=None
):
    """One run over the hours first..last (inclusive), like ``--partition-range``,
    then one run of the dbt models over their days, as ``make run`` does. The
    result is the hours' run's, or the models' run's when that one failed.

    With ``selection`` (asset keys), only those assets and their checks run."""
    defs = build_definitions(settings)
    job_name = "hourly_archive_job"
    if selection is not None:
        job_name = "selected_hours"
        own_checks = [
            check
            for check in defs.resolve_asset_graph().asset_check_keys
            if check.asset_key in selection
        ]
        chosen = dg.AssetSelection.assets(*selection).without_checks()
        if own_checks:
            chosen = chosen | dg.AssetSelection.checks(*own_checks)
        partitions = defs.resolve_job_def("hourly_archive_job").partitions_def
        defs = dg.Definitions.merge(
            defs,
            dg.Definitions(
                jobs=[dg.define_asset_job(job_name, selection=chosen, partitions_def=partitions)]
            ),
        )
        selection = None
    job = defs.resolve_job_def(job_name)
    tags = {}
    if first == last:
        partition_key = first
    else:
        partition_key = None
        tags = {
            "dagster/asset_partition_range_start": first,
            "dagster/asset_partition_range_end": last,
        }
    hours = job.execute_in_process(
        instance=instance,
        partition_key=partition_key,
        tags=tags,
        asset_selection=selection,
        run_config=run_config,
        raise_on_error=False,
    )
    if job_name != "hourly_archive_job" or not hours.success:
        return hours
    models = materialize_days(defs, instance, day_of(first), day_of(last))
    return hours if models.success else models


def materialize_days(defs, instance, first: str, last: str):
    """One run of the dbt models over the UTC days first..last (inclusive)."""
    tags = {
        "dagster/asset_partition_range_start": first,
        "dagster/asset_partition_range_end": last,
    }
    return defs.resolve_job_def(MODELS_JOB).execute_in_process(
        instance=instance, tags=tags, raise_on_error=False
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


def materialize_command(hour: str) -> list[str]:
    """The dagster CLI run of the hourly assets for one hour, as ``make run`` starts it."""
    return [
        str(Path(sys.executable).with_name("dagster")), "asset", "materialize",
        "-m", "gharchive_assets.definitions", "--select", HOURS, "--partition", hour,
    ]  # fmt: skip


def star_history_alone(settings: Settings, instance, first: date, last: date | None = None):
    """The asset github/star_history alone over the UTC days first..last: one call."""
    (star_history,) = github_defs(settings).assets
    last = last or first
    return dg.materialize(
        [star_history],
        resources=resources_for(settings),
        instance=instance,
        tags={
            "dagster/asset_partition_range_start": first.isoformat(),
            "dagster/asset_partition_range_end": last.isoformat(),
        },
        raise_on_error=False,
    )
