"""The dbt project (``dbt_project/``) as dagster-dbt sees it: one ``DbtProject``
per dbt target, a manifest that is never stale, the executable, the run's vars."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC
from functools import cache, cached_property
from importlib.metadata import version as installed_version
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject
from dagster_dbt.core.dbt_cli_invocation import DbtCliInvocation
from packaging import version

from gharchive_assets.settings import Settings

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
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


# A run's build leaves out the tests tagged so (the source's not-null tests);
# the weekly test of all history runs them.
RUN_BUILD_EXCLUDES = ["--exclude", "tag:full_history_only"]


class DbtCli(DbtCliResource):
    """dagster-dbt's dbt resource, without two things it does before every dbt
    command that this project never uses, about 6 s of a one-hour run:

    - it runs ``dbt --version`` (a Python start) to learn dbt's version: dbt is
      installed beside this Python, so its package metadata says;
    - it opens a dbt adapter in the step's process, for row counts and column
      metadata this project does not fetch (dagster-dbt carries on without one
      when opening it fails).
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]):
        return None


def dbt_executable() -> str:
    """The dbt installed beside this Python, so an un-activated venv works too."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else "dbt"


def dbt_project_for(settings: Settings) -> DbtProject:
    """The project for the settings' dbt target (the assets and the dbt resource share it)."""
    return _dbt_project(settings.dbt_target)


@cache
def _dbt_project(target: str) -> DbtProject:
    return DbtProject(
        project_dir=DBT_PROJECT_DIR,
        profiles_dir=DBT_PROJECT_DIR,
        target=target,
        target_path=Path("target") / target,
    )


@contextmanager
def dbt_invocation(
    dbt: DbtCliResource, args: Sequence[str], **kwargs
) -> Iterator[DbtCliInvocation]:
    """``dbt.cli(args, **kwargs)``, whose target directory is removed when the block
    ends: dagster-dbt gives every invocation one of its own (about 7 MB) and never
    removes it; dbt's output is in the run's log already."""
    invocation = dbt.cli(args, **kwargs)
    try:
        yield invocation
    finally:
        shutil.rmtree(invocation.target_path, ignore_errors=True)


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


def compile_hourly_run_for_bigquery(
    target_dir: Path, run_vars: dict, incremental: bool = True
) -> dict:
    """The manifest of a run's SQL for the bigquery target, compiled with no
    warehouse: an incremental run (``compile_as_incremental``), or a first
    build or full refresh (``incremental=False``, as is_incremental() is then).
    What the offline SQL check and the cost benchmark read."""
    subprocess.run(
        [
            dbt_executable(), "compile", "--target", "gcp_emulator",
            "--target-path", str(target_dir), "--no-populate-cache",
            "--vars", json.dumps({"compile_as_incremental": incremental, **run_vars}),
        ],
        cwd=DBT_PROJECT_DIR,
        env={**os.environ, "GHARCHIVE_TARGET": "gcp", "DBT_LOG_PATH": str(target_dir)},
        check=True,
        capture_output=True,
    )  # fmt: skip
    return json.loads((target_dir / "manifest.json").read_text())
