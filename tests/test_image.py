"""The production image, run: `make image` builds deploy/Dockerfile with buildah
into localhost/gharchive-assets:latest, and these tests run it as GKE would.

- The code location loads on the gcp target (`dagster definitions validate`).
- Its code server answers a webserver (this checkout's), which lists its assets.
- One archive hour goes from a loopback archive into the GCS and BigQuery
  emulators through the image's own code, dagster and client libraries.

Containers run with buildah's chroot isolation, which shares the host's network:
the emulators and the archive on 127.0.0.1 are reachable from inside.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from tests.bq_emulator import client_for
from tests.dagster_dev import graphql
from tests.loopback import free_port

# Starts processes, servers or emulators: not in the fast lane.
pytestmark = pytest.mark.slow

IMAGE = "localhost/gharchive-assets:latest"
HOUR = "2015-01-01-22:00"


def _image_present() -> bool:
    if not shutil.which("buildah"):
        return False
    inspect = subprocess.run(["buildah", "inspect", "--type", "image", IMAGE], capture_output=True)
    return inspect.returncode == 0


if not _image_present():
    # CI builds it (.ci/run installs buildah; make test runs make image first).
    if os.environ.get("CI"):
        raise RuntimeError(f"{IMAGE} is missing: `make image` (as root, with buildah) builds it")
    pytest.skip(f"{IMAGE} is not built here (make image)", allow_module_level=True)


@pytest.fixture(scope="module")
def container():
    """A working container of the image, removed afterwards."""
    name = subprocess.run(
        ["buildah", "from", "--pull=never", "--quiet", IMAGE],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    yield name
    subprocess.run(["buildah", "rm", name], capture_output=True)


def run_in(container: str, env: dict[str, str], *command: str, **kwargs):
    """``command`` inside the container, as the image's user, with ``env``."""
    env_args = [arg for name, value in env.items() for arg in ("--env", f"{name}={value}")]
    return subprocess.run(
        ["buildah", "run", "--isolation", "chroot", *env_args, container, "--", *command],
        capture_output=True,
        text=True,
        **kwargs,
    )


GCP_ENV = {
    "GHARCHIVE_TARGET": "gcp",
    "GHARCHIVE_GCP_PROJECT": "test",
    "GHARCHIVE_GCS_BUCKET": "image-lake",
    "GHARCHIVE_BQ_DATASET": "gharchive_image",
    "GHARCHIVE_BQ_ANALYTICS_DATASET": "analytics_image",
}


def test_the_image_is_for_autopilots_amd64_nodes():
    """GKE Autopilot's nodes are amd64: an image built for arm64 (an
    Apple-silicon laptop's default) fails there with "exec format error"."""
    inspect = subprocess.run(
        ["buildah", "inspect", "--type", "image", "--format", "{{.OCIv1.Architecture}}", IMAGE],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert inspect.stdout.strip() == "amd64"
    script = (Path(__file__).resolve().parents[1] / "deploy" / "build_image.sh").read_text()
    assert "--platform linux/amd64" in script


def normalised(purl: str) -> str:
    """A PyPI purl with its name normalised as PEP 503 does (github3.py: github3-py)."""
    name, _, version = purl.removeprefix("pkg:pypi/").partition("@")
    return f"pkg:pypi/{re.sub(r'[-_.]+', '-', name).lower()}@{version}"


def test_the_images_bill_of_materials_lists_its_pins(container):
    """make image writes build/image-sbom.cdx.json (CycloneDX) from the image's
    own environment: every runtime pin at its pinned version, dagster among
    them, and nothing else but the installers (pip, uv)."""
    repo = Path(__file__).resolve().parents[1]
    bom = json.loads((repo / "build" / "image-sbom.cdx.json").read_text())
    assert bom["bomFormat"] == "CycloneDX"
    assert bom["metadata"]["component"]["name"] == "gharchive-assets"
    listed = {c["purl"] for c in bom["components"]}
    pins = re.findall(r"^([\w.-]+)==(\S+)$", (repo / "requirements.txt").read_text(), re.M)
    pinned = {f"pkg:pypi/{name}@{version}" for name, version in pins}
    pinned = {normalised(p) for p in pinned}
    (dagster,) = [p for p in pinned if p.startswith("pkg:pypi/dagster@")]
    assert dagster in listed
    in_image = {normalised(p) for p in listed}
    assert pinned - in_image == set(), "every pin of requirements.txt is in the image"
    extra = {p.split("@")[0] for p in in_image - pinned}
    assert extra <= {"pkg:pypi/pip", "pkg:pypi/uv"}, extra
    # The list is the image's: what its Python reports, not the requirements file.
    reported = run_in(
        container, {}, "python", "-c",
        "import importlib.metadata as m; print(m.version('dagster'))", timeout=120,
    )  # fmt: skip
    assert f"pkg:pypi/dagster@{reported.stdout.strip()}" in listed


def test_the_image_runs_unprivileged_with_the_scanner(container):
    completed = run_in(
        container,
        {},
        "python",
        "-c",
        "import os; from gharchive_assets.clean.block_parser import SCANNER; "
        "print(os.getuid(), bool(SCANNER))",
        timeout=120,
    )
    assert completed.stdout.split() == ["10001", "True"], completed.stderr


def test_the_code_location_validates_on_the_gcp_target(container):
    completed = run_in(
        container,
        GCP_ENV,
        "dagster",
        "definitions",
        "validate",
        "-m",
        "gharchive_assets.definitions",
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-3000:]
    assert "Validation successful" in completed.stdout + completed.stderr


def test_the_code_server_answers_the_webserver(container, tmp_path):
    grpc_port, web_port = free_port(), free_port()
    env_args = [a for n, v in GCP_ENV.items() for a in ("--env", f"{n}={v}")]
    server = subprocess.Popen(
        ["buildah", "run", "--isolation", "chroot", *env_args, container, "--",
         "dagster", "code-server", "start", "-h", "127.0.0.1", "-p", str(grpc_port),
         "-m", "gharchive_assets.definitions"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    workspace = tmp_path / "workspace.yaml"
    workspace.write_text(
        yaml.safe_dump(
            {
                "load_from": [
                    {
                        "grpc_server": {
                            "host": "127.0.0.1",
                            "port": grpc_port,
                            "location_name": "gharchive-assets",
                        }
                    }
                ]
            }
        )
    )
    (tmp_path / "home").mkdir()
    webserver = subprocess.Popen(
        [str(Path(sys.executable).with_name("dagster-webserver")), "-w", str(workspace),
         "-h", "127.0.0.1", "-p", str(web_port)],
        env={**os.environ, "DAGSTER_HOME": str(tmp_path / "home")},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        assets = _assets_when_loaded(web_port, deadline=time.monotonic() + 180)
    finally:
        for process in (webserver, server):
            os.killpg(process.pid, 15)
            process.wait(timeout=60)
    assert ["raw_archive_hour"] in assets
    assert ["gharchive", "events"] in assets
    assert len(assets) > 30, "the dbt models come through as assets too"


LOCATION = """{ workspaceOrError { ... on Workspace { locationEntries {
  locationOrLoadError { __typename ... on PythonError { message } } } } } }"""


def _assets_when_loaded(port: int, deadline: float) -> list[list[str]]:
    """The asset keys the webserver serves, once the code server has answered it."""
    last = None
    while time.monotonic() < deadline:
        try:
            (entry,) = graphql(port, LOCATION)["workspaceOrError"]["locationEntries"]
            last = entry["locationOrLoadError"]
            if last and last["__typename"] == "RepositoryLocation":
                nodes = graphql(port, "{ assetNodes { assetKey { path } } }")["assetNodes"]
                return [node["assetKey"]["path"] for node in nodes]
            if last and last["__typename"] == "PythonError" and "UNAVAILABLE" not in str(last):
                raise AssertionError(last)
        except OSError:
            pass
        time.sleep(2)
    raise AssertionError(f"the webserver never loaded the image's code location: {last}")


def test_one_hour_from_the_archive_into_gcs_and_bigquery(
    container, gcs_emulator, bq_emulator, archive_server, generated_archive
):
    storage.Client(project="test", credentials=AnonymousCredentials()).create_bucket(
        GCP_ENV["GHARCHIVE_GCS_BUCKET"]
    )
    client = client_for(bq_emulator.endpoint)
    for dataset in (GCP_ENV["GHARCHIVE_BQ_DATASET"], GCP_ENV["GHARCHIVE_BQ_ANALYTICS_DATASET"]):
        client.create_dataset(dataset, exists_ok=True)
    env = {
        **GCP_ENV,
        "GHARCHIVE_BASE_URL": archive_server.url,
        "GHARCHIVE_BQ_API_ENDPOINT": bq_emulator.endpoint,
        "STORAGE_EMULATOR_HOST": gcs_emulator.host,
    }
    completed = run_in(
        container, env,
        "dagster", "asset", "materialize", "-m", "gharchive_assets.definitions",
        "--select", "raw_archive_hour,clean_events_hour,gharchive/events", "--partition", HOUR,
        timeout=600,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-4000:]

    bucket = storage.Client(project="test", credentials=AnonymousCredentials()).bucket(
        GCP_ENV["GHARCHIVE_GCS_BUCKET"]
    )
    names = {blob.name for blob in bucket.list_blobs()}
    assert "raw/2015/01/01/2015-01-01-22.json.gz" in names
    assert "clean/events/date=2015-01-01/hour=22/events.parquet" in names
    (row,) = client.query(
        f"select count(*) as n, count(distinct id) as ids "
        f"from `test.{GCP_ENV['GHARCHIVE_BQ_DATASET']}.events`"
    ).result()
    (records,) = [r for hour, r in generated_archive["hours"].items() if hour.hour == 22]
    assert row.n == row.ids == len({record["id"] for record in records})
