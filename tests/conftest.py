"""Shared fixtures: a generated archive, a loopback HTTP server, a temporary instance.

The fast lane (``make test-fast``: ``pytest -m "not slow"``) runs what starts no
process, server or emulator. A test is slow when it is marked so, or when it
uses one of ``SERVER_FIXTURES``; in the fast lane, an unmarked test that starts
a process or listens on a socket fails, so the marks stay true.
"""

from __future__ import annotations

import os
import socket
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest

from gharchive_assets.core.dbt_project import PREPARE_COMMAND, PROJECTS
from gharchive_assets.core.settings import Settings
from gharchive_assets.core.stop_signals import take_back_stop_signals
from tests.archive_server import ArchiveServer
from tests.bq_emulator import BigQueryEmulator
from tests.gcs_emulator import GCSEmulator
from tests.synthetic import ArchiveFaker, write_hour

# The dashboard's `browser` fixture (headless Chromium), for every module that reads it.
pytest_plugins = ["tests.browser"]

# Fixtures that start a server or an emulator: a test using one is slow.
SERVER_FIXTURES = {"archive_server", "gcs_emulator", "bq_emulator", "faults"}

REAL_HOUR = Path(__file__).resolve().parents[2] / "shared/fixtures/gharchive/2015-01-01-1.json.gz"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def pytest_configure(config):
    # A suite started in the background (`make test &`, CI runners) would pass
    # its children SIGTERM ignored once Dagster maps it onto SIGINT; the
    # servers and emulators the tests stop with SIGTERM must take it.
    take_back_stop_signals()
    config.addinivalue_line("markers", "slow: starts a process, a server or an emulator")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if SERVER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session", autouse=True)
def fast_lane_starts_nothing(request, dbt_manifests):
    """In the fast lane, starting a process or a server fails, in a test or in
    any fixture it uses, whatever the fixture's scope (a module's fixture runs
    before a test's own): mark the test slow. dbt's manifests, which pytest
    may prepare when they are missing, come first."""
    if "not slow" not in (request.config.option.markexpr or ""):
        yield
        return

    def refuse(*args, **kwargs):
        where = os.environ.get("PYTEST_CURRENT_TEST", "a session fixture")
        raise RuntimeError(
            f"{where} starts a process or a server: mark the test "
            "@pytest.mark.slow (the fast lane runs neither)"
        )

    patch = pytest.MonkeyPatch()
    patch.setattr(subprocess.Popen, "_execute_child", refuse)
    patch.setattr(socket.socket, "listen", refuse)
    yield
    patch.undo()


@pytest.fixture(scope="session", autouse=True)
def dbt_manifests():
    """dbt's manifests, as `make test` prepares them (dagster-dbt's
    prepare-and-package, redone when dbt_project/ changes). Run directly, pytest
    prepares those that are missing; after editing models, run `make setup`."""
    for project in PROJECTS.values():
        if not project.manifest_path.exists():
            print(f"preparing {project.target}'s manifest, as `{PREPARE_COMMAND}` does")
            project.preparer.prepare(project)


@pytest.fixture(scope="session")
def generated_archive(tmp_path_factory) -> dict[datetime, list[dict]]:
    """Three hours across a UTC midnight, with duplicate ids across hours."""
    directory = tmp_path_factory.mktemp("archive")
    faker = ArchiveFaker(seed=2015)
    hours = {}
    for hour, events in (
        (utc(2015, 1, 1, 22), 600),
        (utc(2015, 1, 1, 23), 500),
        (utc(2015, 1, 2, 0), 400),
    ):
        records = faker.hour(hour, events, duplicates=25 if hours else 0)
        write_hour(directory, hour, records)
        hours[hour] = records
    hours_dir = directory
    return {"dir": hours_dir, "hours": hours}


@pytest.fixture(scope="session")
def archive_server(generated_archive):
    with ArchiveServer(generated_archive["dir"]) as server:
        yield server


@pytest.fixture
def instance(tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("")
    with dg.instance_for_test(temp_dir=str(home)) as test_instance:
        yield test_instance


@pytest.fixture
def settings(tmp_path, archive_server) -> Settings:
    return Settings(
        base_url=archive_server.url, data_dir=tmp_path / "data", http_backoff_seconds=0.01
    )


@pytest.fixture(scope="session")
def gcs_emulator(tmp_path_factory):
    """gcp-storage-emulator on loopback; clients find it through STORAGE_EMULATOR_HOST."""
    with GCSEmulator(tmp_path_factory.mktemp("gcs")) as running:
        previous = os.environ.get("STORAGE_EMULATOR_HOST")
        os.environ["STORAGE_EMULATOR_HOST"] = running.host
        try:
            yield running
        finally:
            if previous is None:
                os.environ.pop("STORAGE_EMULATOR_HOST", None)
            else:
                os.environ["STORAGE_EMULATOR_HOST"] = previous


@pytest.fixture(scope="session")
def bq_emulator(gcs_emulator, tmp_path_factory):
    """bqemulator on loopback, reading gs:// loads from the GCS emulator's files."""
    log = tmp_path_factory.mktemp("bq") / "bqemulator.log"
    with BigQueryEmulator(gcs_emulator.data_dir / ".cloudstorage", log) as running:
        yield running
