"""What the engines make of the Helm values: every key known to Dagster's chart,
and a run's Kubernetes Job as dagster-k8s itself builds and sends it.

The Job test runs the real K8sRunLauncher from an instance configured as the
chart renders it, for a run whose code location hands it the container context
the chart's user deployment gives it. The launcher sends the Job to a loopback
Kubernetes API server, which records what it receives.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
import yaml
from dagster._core.code_pointer import ModuleCodePointer
from dagster._core.launcher import LaunchRunContext
from dagster._core.origin import JobPythonOrigin, RepositoryPythonOrigin
from dagster._core.test_utils import create_run_for_test, instance_for_test

from tests.helm_chart import (
    admitted,
    code_location_container_context,
    code_location_service_account,
    instance_concurrency,
    instance_run_launcher,
    instance_run_monitoring,
    instance_top_level_keys,
    pod_images,
    rendered_values,
    unknown_keys,
)
from tests.test_deploy import DEPLOY
from tests.test_terraform import TERRAFORM, load

RELEASE = NAMESPACE = "dagster"
IMAGE = "registry.example/p/gharchive/dagster:t1"


@pytest.fixture(scope="module")
def helm_values() -> dict:
    return rendered_values()


def test_every_values_key_is_one_the_chart_knows(helm_values):
    assert unknown_keys(helm_values) == []


@pytest.mark.parametrize(
    "edit, problem",
    [
        (lambda v: v.update(extraManifests=[]), "extraManifests"),
        (lambda v: v["concurrency"].update(enable=True), "concurrency.enable"),
        (
            lambda v: v["dagster-user-deployments"]["deployments"][0].update(
                includeConfigInLaunchRuns={}
            ),
            "dagster-user-deployments.deployments[0].includeConfigInLaunchRuns",
        ),
        (
            lambda v: v["runLauncher"]["config"]["k8sRunLauncher"]["runK8sConfig"].update(
                podSpec={}
            ),
            "runLauncher.config.k8sRunLauncher.runK8sConfig.podSpec",
        ),
    ],
)
def test_an_ignored_or_misspelt_key_is_caught(helm_values, edit, problem):
    values = json.loads(json.dumps(helm_values))
    edit(values)
    assert unknown_keys(values) == [problem]


def test_the_chart_renders_the_pools_and_the_queue_of_the_local_instance(helm_values):
    production = yaml.safe_load((DEPLOY / "dagster.gcp.yaml").read_text())
    assert instance_concurrency(helm_values) == production["concurrency"]
    assert instance_run_launcher(helm_values, RELEASE, NAMESPACE) == production["run_launcher"]


def test_run_monitoring_reaches_the_instance_whole(helm_values):
    """The chart writes only the runMonitoring keys it names: a run killed
    mid-step would keep its pool slot, and with pools of one every later dbt
    build would wait forever. The values write the block through
    additionalInstanceConfig, once."""
    production = yaml.safe_load((DEPLOY / "dagster.gcp.yaml").read_text())
    monitoring = instance_run_monitoring(helm_values)
    assert monitoring == production["run_monitoring"]
    assert monitoring["free_slots_after_run_end_seconds"] == 60
    keys = instance_top_level_keys(helm_values)
    assert len(keys) == len(set(keys)), f"written twice in dagster.yaml: {keys}"


def test_the_charts_own_run_monitoring_would_lose_the_slots_key(helm_values):
    values = json.loads(json.dumps(helm_values))
    values["dagsterDaemon"]["runMonitoring"] = {
        "enabled": True,
        "startTimeoutSeconds": 600,
        "pollIntervalSeconds": 60,
        "freeSlotsAfterRunEndSeconds": 60,
    }
    assert unknown_keys(values) == []  # the schema takes it...
    assert "free_slots_after_run_end_seconds" not in instance_run_monitoring(
        values
    )  # ...and drops it


def binary_authorization_patterns(image_repository: str) -> list[str]:
    """The policy's patterns as terraform makes them, for this image repository."""
    module = load(TERRAFORM / "modules" / "dagster_home")
    (policy,) = module["resource"]["google_binary_authorization_policy"].values()
    busybox = module["variable"]["busybox_image"]["default"]
    return [
        p["name_pattern"]
        .replace("${local.image_repository}", image_repository)
        .replace("${var.busybox_image}", busybox)
        for p in policy["admission_whitelist_patterns"]
    ]


def test_every_image_every_pod_runs_is_admitted(helm_values):
    """Init containers included: the chart's check-db-ready runs Docker Hub's
    postgres unless turned off, and admission refuses the whole pod."""
    patterns = binary_authorization_patterns(IMAGE.split(":")[0])
    pods = pod_images(helm_values)
    assert {"webserver", "daemon", "code location gharchive-assets"} <= set(pods)
    refused = {pod: i for pod, images in pods.items() for i in images if not admitted(i, patterns)}
    assert refused == {}
    with_check = json.loads(json.dumps(helm_values))
    with_check["dagsterDaemon"].pop("checkDbReadyInitContainer")
    refused = [i for i in pod_images(with_check)["daemon"] if not admitted(i, patterns)]
    assert refused == ["docker.io/library/postgres:14.6"]


def test_the_deploy_workflows_digest_reaches_every_dagster_pod_and_is_admitted(helm_values):
    """deploy/helm_image.py, as the deploy workflow runs it on the installed
    values: the webserver, the daemon, the code location and its runs all run
    the pushed digest, and Binary Authorization admits it."""
    from deploy.helm_image import main, pinned

    repository, digest = IMAGE.split(":")[0], "sha256:" + "0a" * 32
    values = pinned(helm_values, repository, digest)
    pods = pod_images(values)
    pinned_pods = {pod for pod in pods if pod != "migrate"}
    assert {"webserver", "daemon", "code location gharchive-assets", "run of gharchive-assets"} <= (
        pinned_pods
    )
    for pod in pinned_pods:
        assert pods[pod][-1] == f"{repository}@{digest}", pod
    patterns = binary_authorization_patterns(repository)
    assert all(admitted(i, patterns) for images in pods.values() for i in images)
    images = ("dagsterWebserver", "dagsterDaemon", "dagster-user-deployments")
    rest = {key: value for key, value in values.items() if key not in images}
    assert rest == {key: value for key, value in helm_values.items() if key not in images}
    for wrong in ("latest", "sha256:abc", IMAGE):
        with pytest.raises(ValueError):
            pinned(helm_values, repository, wrong)
    with pytest.raises(ValueError, match="no code location"):
        pinned({**helm_values, "dagster-user-deployments": {"deployments": []}}, repository, digest)
    assert main(["helm_image.py"]) == 2


def test_admission_patterns_match_as_binary_authorization_does():
    patterns = ["r.example/p/gharchive/dagster*", "docker.io/library/busybox:1.37*"]
    assert admitted("r.example/p/gharchive/dagster:t1", patterns)
    assert admitted("r.example/p/gharchive/dagster@sha256:ab", patterns)
    assert not admitted("r.example/p/gharchive/dagster/other:t1", patterns)
    assert not admitted("docker.io/library/busybox:1.28", patterns)
    assert admitted("r.example/p/x/y:1", ["r.example/p/**"])


def test_every_process_that_creates_runs_emits_one_planned_event_per_asset(helm_values):
    """The daemon (backfills, sensors, schedules) and the webserver (the UI's
    launches) both: the switch acts where a run is created."""
    for part in ("dagsterDaemon", "dagsterWebserver"):
        assert helm_values[part]["env"]["DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS"] == "1"


class KubernetesApi(BaseHTTPRequestHandler):
    """Accepts Job creations and keeps their bodies, as the API server would."""

    jobs: ClassVar[list[dict]] = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if not self.path.startswith(f"/apis/batch/v1/namespaces/{NAMESPACE}/jobs"):
            self.send_error(404)
            return
        self.jobs.append(body)
        reply = json.dumps(body).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


@pytest.fixture
def kubernetes(tmp_path):
    KubernetesApi.jobs = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), KubernetesApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [
                    {"name": "c", "cluster": {"server": f"http://127.0.0.1:{server.server_port}"}}
                ],
                "users": [{"name": "u", "user": {"token": "t"}}],
                "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "c",
            }
        )
    )
    yield kubeconfig
    server.shutdown()


def launched_job(helm_values, kubeconfig, container_context) -> dict:
    """The Job the instance's K8sRunLauncher sends for one run."""
    launcher = instance_run_launcher(helm_values, RELEASE, NAMESPACE)
    launcher["config"].update(load_incluster_config=False, kubeconfig_file=str(kubeconfig))
    origin = JobPythonOrigin(
        job_name="gharchive_hours",
        repository_origin=RepositoryPythonOrigin(
            executable_path="/opt/venv/bin/python",
            code_pointer=ModuleCodePointer("gharchive_assets.definitions", "defs", None),
            container_image=IMAGE,
            container_context=container_context,
        ),
    )
    with instance_for_test(overrides={"run_launcher": launcher}) as instance:
        run = create_run_for_test(instance, job_name="gharchive_hours", job_code_origin=origin)
        instance.run_launcher.launch_run(LaunchRunContext(dagster_run=run, workspace=None))
    (job,) = KubernetesApi.jobs
    return job


@pytest.mark.slow
def test_a_run_is_a_job_as_the_pipeline_with_its_workload_identity(helm_values, kubernetes):
    (deployment,) = helm_values["dagster-user-deployments"]["deployments"]
    context = code_location_container_context(helm_values, deployment, RELEASE, NAMESPACE)
    job = launched_job(helm_values, kubernetes, context)

    pod = job["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "gharchive-pipeline"
    (container,) = pod["containers"]
    assert container["image"] == IMAGE
    assert container["resources"]["requests"] == {"cpu": "2", "memory": "4Gi"}
    assert {"configMapRef": {"name": "dagster-gharchive-assets-user-env"}} in container["envFrom"]
    assert job["spec"]["ttlSecondsAfterFinished"] == 86400

    # The account exists, and is bound to the pipeline's Google account ...
    account = code_location_service_account(helm_values, RELEASE)
    assert account["metadata"]["name"] == pod["serviceAccountName"]
    google_account = account["metadata"]["annotations"]["iam.gke.io/gcp-service-account"]
    assert google_account == "gharchive-pipeline@p.iam.gserviceaccount.com"
    # ... which lets exactly that Kubernetes account act as it.
    bindings = load(TERRAFORM / "modules" / "dagster_home")["resource"][
        "google_service_account_iam_member"
    ]
    members = {
        b["member"] for b in bindings.values() if "service_account_email" in b["service_account_id"]
    }
    assert members == {"serviceAccount:${var.project_id}.svc.id.goog[dagster/gharchive-pipeline]"}


@pytest.mark.slow
def test_without_the_code_locations_context_a_run_would_be_the_control_plane(
    helm_values, kubernetes
):
    """What the launcher alone gives: the chart's own account, with no data access."""
    job = launched_job(helm_values, kubernetes, None)
    assert job["spec"]["template"]["spec"]["serviceAccountName"] == "dagster"
