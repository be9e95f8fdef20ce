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

from tests.test_terraform import TERRAFORM, load

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
HADOLINT = Path(sys.executable).with_name("hadolint")


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


def render(template: str, values: dict) -> str:
    """terraform's templatefile for what this template uses: ${name} and one
    %{ for name, value in map ~} loop."""
    loop = re.compile(r"%\{ for (\w+), (\w+) in (\w+) ~\}\n(.*?)%\{ endfor ~\}\n", re.DOTALL)

    def expand(match):
        key, value, mapping, body = match.groups()
        return "".join(
            body.replace("${" + key + "}", k).replace("${" + value + "}", v)
            for k, v in values[mapping].items()
        )

    text = loop.sub(expand, template)
    return re.sub(r"\$\{(\w+)\}", lambda m: str(values[m.group(1)]), text)


@pytest.fixture(scope="module")
def helm_values() -> dict:
    """The values as terraform renders them, with the module's defaults."""
    module = load(TERRAFORM / "modules" / "dagster_home")
    defaults = {name: v.get("default") for name, v in module["variable"].items()}
    values = {
        "chart_version": defaults["dagster_chart_version"],
        "image_repository": "registry.example/p/gharchive/dagster",
        "image_tag": "t1",
        "control_service_account": "gharchive-dagster@p.iam.gserviceaccount.com",
        "pipeline_service_account": "gharchive-pipeline@p.iam.gserviceaccount.com",
        "pipeline_environment": {"GHARCHIVE_TARGET": "gcp", "GHARCHIVE_HOURS_PER_RUN": "24"},
        "compute_logs_bucket": "p-gharchive-dagster-logs",
        "postgres_host": "10.0.0.3",
        "postgres_user": "dagster",
        "postgres_password": "secret",
        "postgres_database": "dagster",
        **{name: defaults[name] for name in
           ("max_concurrent_runs", "run_cpu", "run_memory", "run_retries")},
    }  # fmt: skip
    return yaml.safe_load(render((DEPLOY / "helm" / "values.yaml.tftpl").read_text(), values))


@pytest.fixture(scope="module")
def instance() -> dict:
    return yaml.safe_load((DEPLOY / "dagster.gcp.yaml").read_text())


def test_helm_values_launch_every_run_as_a_kubernetes_job_as_the_pipeline(helm_values, instance):
    launcher = helm_values["runLauncher"]
    assert launcher["type"] == "K8sRunLauncher" == instance["run_launcher"]["class"]
    k8s = launcher["config"]["k8sRunLauncher"]["runK8sConfig"]
    same = instance["run_launcher"]["config"]["run_k8s_config"]
    assert k8s["podSpecConfig"]["serviceAccountName"] == "gharchive-pipeline"
    assert same["pod_spec_config"]["service_account_name"] == "gharchive-pipeline"
    assert k8s["containerConfig"]["resources"] == same["container_config"]["resources"]
    (account,) = helm_values["extraManifests"]
    assert account["metadata"]["name"] == "gharchive-pipeline"
    assert account["metadata"]["annotations"]["iam.gke.io/gcp-service-account"].startswith(
        "gharchive-pipeline@"
    )
    assert helm_values["serviceAccount"]["annotations"][
        "iam.gke.io/gcp-service-account"
    ].startswith("gharchive-dagster@")


def test_helm_values_keep_compute_logs_in_gcs(helm_values, instance):
    assert helm_values["computeLogManager"]["type"] == "GCSComputeLogManager"
    assert instance["compute_logs"]["class"] == "GCSComputeLogManager"
    gcs = helm_values["computeLogManager"]["config"]["gcsComputeLogManager"]
    assert gcs["bucket"] == "p-gharchive-dagster-logs"
    assert gcs["prefix"] == instance["compute_logs"]["config"]["prefix"]


def test_helm_values_queue_runs_and_pool_what_conflicts(helm_values, instance):
    runs, pools = helm_values["concurrency"]["runs"], helm_values["concurrency"]["pools"]
    assert runs["maxConcurrentRuns"] == instance["concurrency"]["runs"]["max_concurrent_runs"]
    assert pools["defaultLimit"] == instance["concurrency"]["pools"]["default_limit"] == 1
    assert pools["granularity"] == instance["concurrency"]["pools"]["granularity"] == "op"
    daemon = helm_values["dagsterDaemon"]
    assert daemon["runRetries"] == {"enabled": True, "maxRetries": 2}
    assert instance["run_retries"]["max_retries"] == 2
    assert daemon["runMonitoring"]["enabled"] is True
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
