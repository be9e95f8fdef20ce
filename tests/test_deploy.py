"""The production deployment's files, checked offline: the image definition is
linted, and the Helm chart's values make the same instance as
deploy/dagster.gcp.yaml (launcher, compute logs, queue, pools, retries)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helm_chart import rendered_values

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
HADOLINT = Path(sys.executable).with_name("hadolint")


@pytest.mark.slow
def test_the_dockerfile_passes_hadolint():
    if not HADOLINT.exists():
        raise RuntimeError(f"{HADOLINT} is missing: run the tests through `make test`")
    completed = subprocess.run(
        [str(HADOLINT), "--failure-threshold", "info", str(DEPLOY / "Dockerfile")],
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_the_image_is_built_in_stages_with_the_c_scanner_and_runs_unprivileged():
    text = (DEPLOY / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+)", text, flags=re.MULTILINE)
    assert len(stages) == 2 and len(set(stages)) == 1, "a build stage and a run stage"
    assert "setup.py build_ext --inplace" in text
    assert "assert SCANNER" in text, "the build fails if the scanner does not load"
    assert re.search(r"^USER 10001$", text, flags=re.MULTILINE)
    assert "requirements.txt" in text, "the image installs the pinned versions"


@pytest.fixture(scope="module")
def helm_values() -> dict:
    return rendered_values()


@pytest.fixture(scope="module")
def instance() -> dict:
    return yaml.safe_load((DEPLOY / "dagster.gcp.yaml").read_text())


def test_helm_values_launch_every_run_as_a_kubernetes_job(helm_values, instance):
    """The run's identity is the code location's service account: its Job is
    built in tests/test_helm_chart.py as dagster-k8s builds it."""
    launcher = helm_values["runLauncher"]
    assert launcher["type"] == "K8sRunLauncher" == instance["run_launcher"]["class"]
    k8s = launcher["config"]["k8sRunLauncher"]["runK8sConfig"]
    same = instance["run_launcher"]["config"]["run_k8s_config"]
    assert k8s["containerConfig"]["resources"] == same["container_config"]["resources"]
    assert helm_values["serviceAccount"]["annotations"][
        "iam.gke.io/gcp-service-account"
    ].startswith("gharchive-dagster@")


def test_helm_values_keep_compute_logs_in_gcs(helm_values, instance):
    """dagster-gcp's manager with download links signed by IAM, in both."""
    assert helm_values["computeLogManager"]["type"] == "CustomComputeLogManager"
    custom = helm_values["computeLogManager"]["config"]["customComputeLogManager"]
    manager = {k: instance["compute_logs"][k] for k in ("module", "class")}
    assert (
        {k: custom[k] for k in ("module", "class")}
        == manager
        == {
            "module": "gharchive_assets.instance.compute_logs",
            "class": "IamSignedGCSComputeLogManager",
        }
    )
    assert custom["config"]["bucket"] == "p-gharchive-dagster-logs"
    assert custom["config"]["prefix"] == instance["compute_logs"]["config"]["prefix"]
    assert (
        custom["config"]["upload_interval"] == instance["compute_logs"]["config"]["upload_interval"]
    )


def test_helm_values_queue_runs_and_pool_what_conflicts(helm_values, instance):
    assert helm_values["concurrency"]["enabled"] is True, "else the chart renders no pools"
    runs, pools = helm_values["concurrency"]["runs"], helm_values["concurrency"]["pools"]
    assert runs["maxConcurrentRuns"] == instance["concurrency"]["runs"]["max_concurrent_runs"]
    assert pools["defaultLimit"] == instance["concurrency"]["pools"]["default_limit"] == 1
    assert pools["granularity"] == instance["concurrency"]["pools"]["granularity"] == "op"
    daemon = helm_values["dagsterDaemon"]
    assert daemon["runRetries"] == {"enabled": True, "maxRetries": 2}
    assert instance["run_retries"]["max_retries"] == 2
    # Run monitoring reaches the instance whole through additionalInstanceConfig
    # (tests/test_helm_chart.py), not the chart's block, which drops keys.
    assert daemon["runMonitoring"] == {"enabled": False}
    assert helm_values["additionalInstanceConfig"]["run_monitoring"] == instance["run_monitoring"]
    assert helm_values["postgresql"]["enabled"] is False
    assert helm_values["postgresql"]["postgresqlParams"]["sslmode"] == "require"


def test_the_code_location_is_this_image_with_the_pipeline_variables(helm_values):
    (deployment,) = helm_values["dagster-user-deployments"]["deployments"]
    assert deployment["dagsterApiGrpcArgs"] == ["--module-name", "gharchive_assets.definitions"]
    assert {e["name"]: e["value"] for e in deployment["env"]} == {
        "GHARCHIVE_TARGET": "gcp",
        "GHARCHIVE_HOURS_PER_RUN": "24",
    }
    images = {
        part["image"]["repository"]
        for part in (helm_values["dagsterWebserver"], helm_values["dagsterDaemon"], deployment)
    }
    assert images == {"registry.example/p/gharchive/dagster"}
