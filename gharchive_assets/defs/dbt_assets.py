"""The dbt project as Dagster assets, downstream of ``gharchive/events``."""

import json
import subprocess
import sys
from collections.abc import Mapping
from datetime import UTC
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from gharchive_assets.settings import Settings

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
WINDOW_FORMAT = "%Y-%m-%d %H:%M:%S"


def dbt_window_vars(window: dg.TimeWindow) -> dict[str, str]:
    """dbt vars for a run's partition range: the half-open window [start, end), UTC.

    Built from the time window, never from a partition key, so a range of
    hours is one dbt run.
    """
    return {
        "window_start": window.start.astimezone(UTC).strftime(WINDOW_FORMAT),
        "window_end": window.end.astimezone(UTC).strftime(WINDOW_FORMAT),
    }


class GharchiveDbtTranslator(DagsterDbtTranslator):
    """dbt models under the ``analytics`` key prefix, grouped by their folder."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)
        return dg.AssetKey(["analytics", dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        folders = dbt_resource_props.get("fqn", [])[1:-1]
        return "analytics" if not folders or folders[0] == "marts" else f"analytics_{folders[0]}"


def dbt_executable() -> str:
    """The dbt installed beside this Python, so an un-activated venv works too."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else "dbt"


def dbt_project_for(settings: Settings) -> DbtProject:
    return DbtProject(
        project_dir=DBT_PROJECT_DIR,
        profiles_dir=DBT_PROJECT_DIR,
        target=settings.dbt_target,
        target_path=Path("target") / settings.dbt_target,
    )


def _newest_source_change(project_dir: Path) -> float:
    files = [project_dir / "dbt_project.yml", project_dir / "profiles.yml"]
    for folder in ("models", "macros", "tests", "seeds"):
        files.extend((project_dir / folder).rglob("*.*"))
    return max((path.stat().st_mtime for path in files if path.exists()), default=0.0)


def ensure_manifest(project: DbtProject, force: bool = False) -> Path:
    """Parse the dbt project when its manifest is missing or older than a model,
    macro or test (an edited project must never run with a stale manifest)."""
    manifest = project.manifest_path
    stale = not manifest.exists() or (
        manifest.stat().st_mtime < _newest_source_change(Path(project.project_dir))
    )
    if force or stale:
        command = [
            dbt_executable(),
            "parse",
            "--quiet",
            "--project-dir", str(project.project_dir),
            "--profiles-dir", str(project.profiles_dir),
            "--target", str(project.target),
            "--target-path", str(project.target_path),
        ]  # fmt: skip
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            raise RuntimeError(f"dbt parse failed:\n{completed.stdout}\n{completed.stderr}")
    return project.manifest_path


def build_dbt_assets(
    partitions: dg.PartitionsDefinition,
    project: DbtProject,
    settings: Settings,
    backfill_policy: dg.BackfillPolicy | None = None,
) -> dg.AssetsDefinition:
    @dbt_assets(
        manifest=ensure_manifest(project),
        project=project,
        name="analytics_models",
        partitions_def=partitions,
        backfill_policy=backfill_policy or dg.BackfillPolicy.single_run(),
        # Source tests (not-null keys of gharchive.events) become checks of that asset.
        dagster_dbt_translator=GharchiveDbtTranslator(
            settings=DagsterDbtTranslatorSettings(enable_source_tests_as_checks=True)
        ),
    )
    def analytics_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
        dbt_vars: dict[str, str] = dbt_window_vars(context.partition_time_window)
        if settings.target == "local":
            dbt_vars["duckdb_path"] = str(settings.warehouse_path)
        yield from dbt.cli(["build", "--vars", json.dumps(dbt_vars)], context=context).stream()

    return analytics_models
