"""The dbt project's models as Dagster assets, downstream of ``gharchive/events``.

One ``@dbt_assets`` over every model, partitioned by UTC day; each day maps
to its 24 hours of ``gharchive/events``. A run over a range of days is one
``dbt build`` with that window and the UTC days the loads of its hours
changed, as literals (``run_days``), so each incremental mart replaces exactly
those days and reads only them. ``models_follow_hours_sensor``
(defs/models_follow.py) builds each day once its hours are in, during a
backfill of hours and when keeping up.
"""

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, redirect_stdout
from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from gharchive_assets.core.concurrency import DBT_BUILDS
from gharchive_assets.core.dbt_project import (
    RUN_BUILD_EXCLUDES,
    dbt_invocation,
    dbt_window_vars,
    prepared_project,
)
from gharchive_assets.core.partitions import model_backfill_policy, model_days
from gharchive_assets.core.settings import Settings
from gharchive_assets.defs.models_follow import MODELS_JOB
from gharchive_assets.warehouse.resource import WarehouseResource


class GharchiveDbtTranslator(DagsterDbtTranslator):
    """dbt models under the ``analytics`` key prefix, grouped by their folder
    (the monthly rollups apart from the marts). No automation condition: the
    days they are built for are the sensor's (defs/models_follow.py)."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)
        return dg.AssetKey(["analytics", dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        folders = dbt_resource_props.get("fqn", [])[1:-1]
        if folders[:2] == ["marts", "rollups"]:
            return "analytics_rollups"
        return "analytics" if not folders or folders[0] == "marts" else f"analytics_{folders[0]}"

    def get_description(self, dbt_resource_props: Mapping[str, Any]) -> str:
        """The model's description from its YAML, without the raw SQL dagster-dbt
        appends (the SQL is one click away in dbt docs and the repository)."""
        description = (dbt_resource_props.get("description") or "").strip()
        return (
            description or f"dbt {dbt_resource_props['resource_type']} {dbt_resource_props['name']}"
        )


def analytics_defs(settings: Settings) -> dg.Definitions:
    project = prepared_project(settings)

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        name="analytics_models",
        pool=DBT_BUILDS,
        partitions_def=model_days(settings.start),
        backfill_policy=model_backfill_policy(settings.hours_per_run),
        # The source tests (not-null keys of gharchive.events) are not checks of that
        # hourly asset: its columns are NOT NULL in the table, and as checks they
        # would put a dbt invocation in every run of hours. The weekly
        # full-history job runs them.
        dagster_dbt_translator=GharchiveDbtTranslator(),
    )
    def analytics_models(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
    ):
        window = context.partition_time_window
        # DuckDB takes one writer: dbt waits for (and then holds off) loads and other builds.
        with warehouse.exclusive(f"dbt build of run {context.run_id}"):
            days = warehouse.touched_days(window.start, window.end)
            context.log.info(f"dbt rebuilds {len(days)} UTC days: {listed(days)}")
            args = build_args(window, days, warehouse.dbt_vars())
            log_path = settings.dbt_log_path(context.run_id)
            with (
                dbt_output_to(log_path, context.log),
                dbt_invocation(dbt, args, context=context) as invocation,
            ):
                yield from invocation.stream()
                report_dbt_warnings(context, invocation)

    models_job = dg.define_asset_job(
        MODELS_JOB,
        selection=dg.AssetSelection.assets(analytics_models),
        partitions_def=model_days(settings.start),
        description="The dbt models for a range of UTC days, once their hours are loaded.",
    )
    return dg.Definitions(assets=[analytics_models], jobs=[models_job])


def build_args(window: dg.TimeWindow, days: list[date], warehouse_vars: dict) -> list[str]:
    """``dbt build`` of a run: its window, the days its loads touched (as
    literals), the warehouse's vars; the full-history-only tests left out."""
    dbt_vars = {
        **dbt_window_vars(window),
        "run_days": [day.isoformat() for day in days],
        **warehouse_vars,
    }
    return ["build", "--vars", json.dumps(dbt_vars), *RUN_BUILD_EXCLUDES]


def listed(days: list[date], shown: int = 10) -> str:
    return ", ".join(map(str, days[:shown])) + (" ..." if len(days) > shown else "")


@contextmanager
def dbt_output_to(log_path: Path | None, log) -> Iterator[None]:
    """dbt's line per model and test into ``log_path`` (``make run``: they
    would bury the rest), else on standard output (the run's compute log)."""
    if log_path is None:
        yield
        return
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log.info(f"dbt's output: {log_path}")
    with open(log_path, "a") as out, redirect_stdout(out):
        yield


def report_dbt_warnings(context: dg.AssetExecutionContext, invocation) -> None:
    """Each dbt test that warned, as a warning of the step (shown however dbt's
    own lines are kept); failures raise from the stream itself."""
    results = invocation.get_artifact("run_results.json")["results"]
    for result in results:
        if result["status"] == "warn":
            name = result["unique_id"].split(".")[2]  # test.<project>.<name>[.<hash>]
            context.log.warning(f"dbt test {name} warned: {result.get('message') or ''}".strip())


FULL_HISTORY_TESTS = "full_history_tests_job"
FULL_HISTORY_DESCRIPTION = (
    "Every dbt test over all loaded history (no run window): the reconciliation of every "
    "mart with the staging layer, day by day, and the dimensions' coverage. Hourly runs "
    "test their own hours and days only."
)


def full_history_tests_defs(settings: Settings) -> dg.Definitions:
    manifest_path = prepared_project(settings).manifest_path

    # Nothing out: no IO manager writes a value. On GKE the default one would
    # write under the chart's DAGSTER_HOME, owned by root, as the image's uid
    # 10001, and fail after the tests passed.
    @dg.op(description=FULL_HISTORY_DESCRIPTION, out=dg.Out(dg.Nothing))
    def test_all_history(
        context: dg.OpExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
    ) -> None:
        with warehouse.exclusive(f"full-history dbt test of run {context.run_id}"):
            args = ["test", "--vars", json.dumps(warehouse.dbt_vars())]
            with dbt_invocation(
                dbt, args, manifest=manifest_path, raise_on_error=False
            ) as invocation:
                for event in invocation.stream_raw_events():
                    info = event.raw_event.get("info", {})
                    if info.get("level") in ("warn", "error"):
                        context.log.warning(info.get("msg", ""))
                results = invocation.get_artifact("run_results.json")["results"]
        failed = sorted(r["unique_id"] for r in results if r["status"] in ("fail", "error"))
        warned = sorted(r["unique_id"] for r in results if r["status"] == "warn")
        metadata = {"tests": len(results), "failed": len(failed), "warned": len(warned)}
        if failed:
            raise dg.Failure(
                description=f"{len(failed)} of {len(results)} dbt tests failed over all history:\n"
                + "\n".join(f"- {name}" for name in failed),
                metadata=metadata,
            )
        context.add_output_metadata(metadata)

    @dg.job(name=FULL_HISTORY_TESTS, description=FULL_HISTORY_DESCRIPTION)
    def full_history_tests_job():
        test_all_history()

    return dg.Definitions(
        jobs=[full_history_tests_job],
        schedules=[
            dg.ScheduleDefinition(
                name="full_history_tests_schedule",
                job=full_history_tests_job,
                cron_schedule="0 3 * * 0",
                execution_timezone="UTC",
                description="Sundays at 03:00 UTC: every dbt test over all loaded history.",
            )
        ],
    )
