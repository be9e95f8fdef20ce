"""The dbt project (``dbt_project/``) as dagster-dbt sees it: one ``DbtProject``
per dbt target, prepared by dagster-dbt, the executable, the run's vars."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC
from functools import cache, cached_property
from importlib.metadata import version as installed_version
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliInvocation, DbtCliResource, DbtProject
from packaging import version

from gharchive_assets.core.settings import Settings

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


def _dbt_project(target: str) -> DbtProject:
    return DbtProject(
        project_dir=DBT_PROJECT_DIR,
        profiles_dir=DBT_PROJECT_DIR,
        target=target,
        target_path=Path("target") / target,
    )


# One project per output of profiles.yml, each with its manifest under
# target/<name>/. `dagster-dbt project prepare-and-package --file
# gharchive_assets/core/dbt_project.py` finds and parses them (make setup, the image's
# build); under `dagster dev`, prepare_if_dev parses the chosen one again at load.
LOCAL_PROJECT = _dbt_project("local")
GCP_PROJECT = _dbt_project("gcp")
GCP_EMULATOR_PROJECT = _dbt_project("gcp_emulator")
PROJECTS = {
    project.target: project for project in (LOCAL_PROJECT, GCP_PROJECT, GCP_EMULATOR_PROJECT)
}
PREPARE_COMMAND = (
    "dagster-dbt project prepare-and-package --file gharchive_assets/core/dbt_project.py"
)


def dbt_project_for(settings: Settings) -> DbtProject:
    """The project for the settings' dbt target (the assets and the dbt resource share it)."""
    return PROJECTS[settings.dbt_target]


def prepared_project(settings: Settings) -> DbtProject:
    """The settings' project, its manifest parsed again under ``dagster dev``
    (dagster-dbt's ``prepare_if_dev``); elsewhere it must have been prepared.
    Once per target and process, however many stages ask."""
    return _prepared(settings.dbt_target)


@cache
def _prepared(target: str) -> DbtProject:
    project = PROJECTS[target]
    if shutil.which("dbt") is None:  # dagster-dbt's preparer runs `dbt` from PATH
        beside = Path(dbt_executable()).parent
        os.environ["PATH"] = f"{beside}{os.pathsep}{os.environ.get('PATH', '')}"
    # Under `dagster dev` every process that loads the definitions would parse
    # the project again (about 10 s): the code server, and each run's process
    # too. A manifest newer than every file of the project is already what a
    # parse would give.
    if manifest_is_stale(project):
        project.prepare_if_dev()
    if not project.manifest_path.exists():
        raise FileNotFoundError(
            f"dbt's manifest {project.manifest_path} is missing: run `make setup`, or "
            f"`{PREPARE_COMMAND}` in the checkout, then load the definitions again"
        )
    return project


# What dbt writes itself, not the project's sources.
NOT_SOURCES = ("target", "logs", "dbt_packages")


def manifest_is_stale(project: DbtProject) -> bool:
    """Whether the project's manifest is missing or older than a file of the project."""
    try:
        parsed = project.manifest_path.stat().st_mtime
    except FileNotFoundError:
        return True
    return any(
        path.relative_to(project.project_dir).parts[0] not in NOT_SOURCES
        and path.is_file()
        and path.stat().st_mtime > parsed
        for path in Path(project.project_dir).rglob("*")
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
