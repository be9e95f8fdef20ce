"""What Dagster's official Helm chart (1.13) makes of our values, for the tests.

No helm binary and no chart can be had on this machine (no registry serves
them), so this module holds the two things the tests need from the chart, each
taken from its source in the dagster repository (helm/dagster):

- ``CHART_KEYS``: the keys the chart's values schema knows, for every part of it
  that deploy/helm/values.yaml.tftpl sets. It is transcribed from the pydantic
  models the chart's values.schema.json is generated from
  (helm/dagster/schema/schema/charts/dagster/values.py and subschema/*.py, and
  dagster_user_deployments/values.py and subschema/user_deployments.py). The
  chart accepts and ignores a top-level key it does not know (``extraManifests``
  was one), so the tests reject any key not listed here.
- the few template helpers whose output decides a run's identity: the instance's
  run launcher (templates/helpers/instance/_run-launcher.tpl), the code
  location's container context and service account
  (charts/dagster-user-deployments/templates/helpers/_helpers.tpl,
  serviceaccount.yaml), and the instance's concurrency block
  (templates/helpers/instance/_concurrency.tpl);
- what the instance ConfigMap makes of ``dagsterDaemon.runMonitoring`` (only
  the keys it names) and of ``additionalInstanceConfig`` (appended as it is),
  templates/configmap-instance.yaml;
- every image each pod runs, init containers included
  (templates/helpers/_deployment-webserver.tpl, deployment-daemon.yaml,
  charts/dagster-user-deployments/templates/deployment-user.yaml,
  job-instance-migrate.yaml), with the chart's defaults (values.yaml), to check
  against the Binary Authorization policy.

When the chart version in terraform/modules/dagster_home changes, re-read
those files and update this one.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tests.test_terraform import TERRAFORM, load

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"

ANY = "any"  # a free-form mapping or value: Kubernetes objects, env, annotations


def free(names: str) -> dict:
    """Keys whose values the chart takes as they are."""
    return dict.fromkeys(names.split(), ANY)


_IMAGE = {"repository": ANY, "tag": ANY, "pullPolicy": ANY, "digest": ANY}
_EXTERNAL_IMAGE = {"registry": ANY, "repository": ANY, "tag": ANY, "pullPolicy": ANY}
_SERVICE_ACCOUNT = {"create": ANY, "name": ANY, "annotations": ANY}
_POD = free(
    "env envConfigMaps envSecrets deploymentLabels labels nodeSelector affinity tolerations "
    "podSecurityContext securityContext resources readinessProbe livenessProbe startupProbe "
    "annotations schedulerName volumeMounts volumes"
)
# The webserver's and the daemon's own (subschema/webserver.py, daemon.py).
_CONTROL_PLANE_POD = free(
    "checkDbReadyInitContainer logFormat initContainerResources extraContainers "
    "extraPrependedInitContainers"
)
_USER_DEPLOYMENT = {
    **{k: v for k, v in _POD.items() if k != "deploymentLabels"},
    "name": ANY,
    "image": _IMAGE,
    "port": ANY,
    "dagsterApiGrpcArgs": ANY,
    "codeServerArgs": ANY,
    "includeConfigInLaunchedRuns": {"enabled": ANY},
    "initContainers": ANY,
    "sidecarContainers": ANY,
    "deploymentStrategy": ANY,
}
_RUN_K8S_CONFIG = free(
    "containerConfig podSpecConfig podTemplateSpecMetadata jobSpecConfig jobMetadata"
)
_K8S_RUN_LAUNCHER = {
    **free(
        "imagePullPolicy jobNamespace loadInclusterConfig kubeconfigFile envConfigMaps "
        "envSecrets envVars volumeMounts volumes labels failPodOnRunFailure resources "
        "schedulerName securityContext"
    ),
    "image": _IMAGE,
    "runK8sConfig": _RUN_K8S_CONFIG,
}
_QUEUED_RUN_COORDINATOR = free(
    "maxConcurrentRuns tagConcurrencyLimits dequeueIntervalSeconds dequeueNumWorkers "
    "dequeueUseThreads blockOpConcurrencyLimitedRuns"
)

CHART_KEYS: dict = {
    "global": free(
        "postgresqlSecretName dagsterHome serviceAccountName celeryConfigSecretName "
        "dagsterInstanceConfigMap postgresqlAuthWifEnabled"
    ),
    "serviceAccount": _SERVICE_ACCOUNT,
    "dagsterWebserver": {
        **_POD,
        **_CONTROL_PLANE_POD,
        "dbPoolMaxOverflow": ANY,
        "replicaCount": ANY,
        "image": _IMAGE,
        "nameOverride": ANY,
        "pathPrefix": ANY,
        "service": ANY,
        "workspace": ANY,
        "enableReadOnly": ANY,
        "dbStatementTimeout": ANY,
        "dbPoolRecycle": ANY,
        "logLevel": ANY,
    },
    "dagsterDaemon": {
        **_POD,
        **_CONTROL_PLANE_POD,
        "backfills": ANY,
        "enabled": ANY,
        "image": _IMAGE,
        "runCoordinator": {
            "enabled": ANY,
            "type": ANY,
            "config": {
                "queuedRunCoordinator": _QUEUED_RUN_COORDINATOR,
                "customRunCoordinator": ANY,
            },
        },
        "heartbeatTolerance": ANY,
        # dict[str, Any] in the schema, but the ConfigMap renders only
        # RUN_MONITORING_RENDERED: any other key is accepted and lost.
        "runMonitoring": ANY,
        "runRetries": free("enabled maxRetries retryOnAssetOrOpFailure"),
        "sensors": ANY,
        "schedules": ANY,
    },
    # The parent's model of the subchart, and the subchart's own values.
    "dagster-user-deployments": {
        "enabled": ANY,
        "enableSubchart": ANY,
        "imagePullSecrets": ANY,
        "deployments": [_USER_DEPLOYMENT],
        "dagsterHome": ANY,
        "postgresqlSecretName": ANY,
        "celeryConfigSecretName": ANY,
        "includeInstance": ANY,
        "serviceAccount": _SERVICE_ACCOUNT,
        "global": ANY,
    },
    "postgresql": {
        **free(
            "enabled postgresqlHost postgresqlUsername postgresqlPassword "
            "postgresqlDatabase postgresqlParams postgresqlScheme service"
        ),
        "image": _EXTERNAL_IMAGE,
    },
    "generatePostgresqlPasswordSecret": ANY,
    "generateCeleryConfigSecret": ANY,
    "rabbitmq": ANY,
    "redis": ANY,
    "flower": ANY,
    "ingress": ANY,
    "imagePullSecrets": ANY,
    "computeLogManager": {
        "type": ANY,
        "config": {
            "gcsComputeLogManager": free(
                "bucket localDir prefix jsonCredentialsEnvvar uploadInterval"
            ),
            "s3ComputeLogManager": ANY,
            "azureBlobComputeLogManager": ANY,
            "customComputeLogManager": ANY,
        },
    },
    "scheduler": ANY,
    "runLauncher": {
        "type": ANY,
        "config": {
            "k8sRunLauncher": _K8S_RUN_LAUNCHER,
            "celeryK8sRunLauncher": ANY,
            "customRunLauncher": ANY,
        },
    },
    "pythonLogs": ANY,
    "busybox": {"image": _IMAGE},
    "migrate": ANY,
    "telemetry": {"enabled": ANY},
    "retention": ANY,
    "concurrency": {
        "enabled": ANY,
        "pools": {"defaultLimit": ANY, "granularity": ANY, "opGranularityRunBuffer": ANY},
        "runs": {"maxConcurrentRuns": ANY, "tagConcurrencyLimits": ANY},
    },
    "additionalInstanceConfig": ANY,
}


def unknown_keys(values, known=CHART_KEYS, path: str = "") -> list[str]:
    """Every key path in ``values`` that the chart's schema does not know."""
    if known == ANY:
        return []
    if isinstance(known, list):
        return [
            problem
            for index, item in enumerate(values or [])
            for problem in unknown_keys(item, known[0], f"{path}[{index}]")
        ]
    if not isinstance(values, dict):
        return [f"{path} (expected a mapping)"]
    problems = []
    for key, value in values.items():
        where = f"{path}.{key}" if path else key
        if key not in known:
            problems.append(where)
        else:
            problems.extend(unknown_keys(value, known[key], where))
    return problems


# The chart's defaults that the helpers below read when the values leave them out.
DAGSTER_HOME = "/opt/dagster/dagster_home"
# values.yaml: the init container that waits for the database runs Docker Hub's postgres.
POSTGRES_IMAGE = {"registry": "docker.io", "repository": "library/postgres", "tag": "14.6"}
BUSYBOX_IMAGE = {"repository": "docker.io/busybox", "tag": "1.28"}
# configmap-instance.yaml: the runMonitoring keys the ConfigMap writes, and their names there.
RUN_MONITORING_RENDERED = {
    "enabled": "enabled",
    "startTimeoutSeconds": "start_timeout_seconds",
    "maxResumeRunAttempts": "max_resume_run_attempts",
    "pollIntervalSeconds": "poll_interval_seconds",
}


def fullname(release: str) -> str:
    """``dagster.fullname``: the release name when it contains the chart's name."""
    return release if "dagster" in release else f"{release}-dagster"


def control_plane_account(values: dict, release: str) -> str:
    """``dagster.serviceAccountName`` of the parent chart."""
    return (
        values.get("global", {}).get("serviceAccountName")
        or values.get("serviceAccount", {}).get("name")
        or fullname(release)
    )


def code_location_account(values: dict, release: str) -> str:
    """``dagsterUserDeployments.serviceAccountName``."""
    subchart = values.get("dagster-user-deployments", {})
    return (
        values.get("global", {}).get("serviceAccountName")
        or subchart.get("serviceAccount", {}).get("name")
        or f"{fullname(release)}-user-deployments"
    )


def code_location_service_account(values: dict, release: str) -> dict | None:
    """The ServiceAccount object serviceaccount.yaml renders, or None."""
    subchart = values.get("dagster-user-deployments", {})
    account = subchart.get("serviceAccount", {})
    if not account.get("create") or values.get("global", {}).get("serviceAccountName"):
        return None
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {
            "name": code_location_account(values, release),
            "annotations": account.get("annotations") or {},
        },
    }


def code_location_container_context(values: dict, deployment: dict, release: str, namespace: str):
    """``dagsterUserDeployments.k8sContainerContext``: what the code server hands
    every run it launches (DAGSTER_CLI_API_GRPC_CONTAINER_CONTEXT) when
    includeConfigInLaunchedRuns is enabled."""
    k8s = {
        "image_pull_policy": deployment["image"]["pullPolicy"],
        "env_config_maps": [f"{fullname(release)}-{deployment['name']}-user-env"]
        + [m["name"] for m in deployment.get("envConfigMaps") or [] if "name" in m],
        "namespace": namespace,
        "service_account_name": code_location_account(values, release),
        "run_k8s_config": {"pod_spec_config": {"automount_service_account_token": True}},
    }
    secrets = [s["name"] for s in deployment.get("envSecrets") or [] if "name" in s]
    if secrets:
        k8s["env_secrets"] = secrets
    if deployment.get("resources"):
        k8s["resources"] = deployment["resources"]
    if isinstance(deployment.get("env"), list):
        k8s["env"] = deployment["env"]
    if deployment.get("annotations"):
        k8s["run_k8s_config"]["pod_template_spec_metadata"] = {
            "annotations": deployment["annotations"]
        }
    return {"k8s": k8s}


def instance_run_launcher(values: dict, release: str, namespace: str) -> dict:
    """``dagsterYaml.runLauncher.k8s``: the instance's run launcher."""
    launcher = values["runLauncher"]["config"]["k8sRunLauncher"]
    config = {
        "load_incluster_config": launcher.get("loadInclusterConfig", True),
        "job_namespace": launcher.get("jobNamespace") or namespace,
        "image_pull_policy": launcher["imagePullPolicy"],
        "service_account_name": control_plane_account(values, release),
        "dagster_home": values.get("global", {}).get("dagsterHome", DAGSTER_HOME),
        "instance_config_map": f"{fullname(release)}-instance",
        "postgres_password_secret": values.get("global", {}).get("postgresqlSecretName"),
    }
    names = {
        "containerConfig": "container_config",
        "podSpecConfig": "pod_spec_config",
        "podTemplateSpecMetadata": "pod_template_spec_metadata",
        "jobSpecConfig": "job_spec_config",
        "jobMetadata": "job_metadata",
    }
    run_k8s = launcher.get("runK8sConfig") or {}
    if run_k8s:
        config["run_k8s_config"] = {names[k]: v for k, v in run_k8s.items() if v}
    return {"module": "dagster_k8s", "class": "K8sRunLauncher", "config": config}


def instance_concurrency(values: dict) -> dict | None:
    """``dagsterYaml.concurrency``, which the instance ConfigMap includes only
    when ``concurrency.enabled`` is true."""
    concurrency = values.get("concurrency") or {}
    if not concurrency.get("enabled"):
        return None
    pools, runs = concurrency.get("pools") or {}, concurrency.get("runs") or {}
    rendered = {}
    pool_names = {
        "defaultLimit": "default_limit",
        "granularity": "granularity",
        "opGranularityRunBuffer": "op_granularity_run_buffer",
    }
    if any(pools.get(k) is not None for k in pool_names):
        rendered["pools"] = {pool_names[k]: v for k, v in pools.items() if v is not None}
    if runs.get("maxConcurrentRuns") is not None or runs.get("tagConcurrencyLimits"):
        rendered["runs"] = {}
        if runs.get("maxConcurrentRuns") is not None:
            rendered["runs"]["max_concurrent_runs"] = runs["maxConcurrentRuns"]
        if runs.get("tagConcurrencyLimits"):
            rendered["runs"]["tag_concurrency_limits"] = runs["tagConcurrencyLimits"]
    return rendered


def instance_run_monitoring(values: dict) -> dict | None:
    """The instance's ``run_monitoring``: the chart's block when the daemon's
    ``runMonitoring.enabled`` (its known keys only), else what
    ``additionalInstanceConfig`` appends."""
    daemon = values.get("dagsterDaemon") or {}
    monitoring = daemon.get("runMonitoring") or {}
    if daemon.get("enabled", True) and monitoring.get("enabled", True):
        return {
            name: monitoring[key]
            for key, name in RUN_MONITORING_RENDERED.items()
            if monitoring.get(key) is not None
        }
    return (values.get("additionalInstanceConfig") or {}).get("run_monitoring")


def instance_top_level_keys(values: dict) -> list[str]:
    """The keys of the rendered dagster.yaml in order, to find any written twice
    (``additionalInstanceConfig`` is appended after the chart's own)."""
    daemon = values.get("dagsterDaemon") or {}
    keys = ["scheduler", "schedule_storage", "run_launcher", "run_storage", "event_log_storage"]
    if daemon.get("enabled", True) and (daemon.get("runCoordinator") or {}).get("enabled"):
        keys.append("run_coordinator")
    keys.append("compute_logs")
    if daemon.get("enabled", True) and (daemon.get("runMonitoring") or {}).get("enabled", True):
        keys.append("run_monitoring")
    if daemon.get("enabled", True) and (daemon.get("runRetries") or {}).get("enabled"):
        keys.append("run_retries")
    keys.append("telemetry")
    if instance_concurrency(values) is not None:
        keys.append("concurrency")
    return keys + list(values.get("additionalInstanceConfig") or {})


def _image(image: dict) -> str:
    if image.get("digest"):
        return f"{image['repository']}@{image['digest']}"
    return f"{image['repository']}:{image['tag']}"


def pod_images(values: dict) -> dict[str, list[str]]:
    """Every image each of the release's pods runs, init containers first."""
    postgres = {**POSTGRES_IMAGE, **((values.get("postgresql") or {}).get("image") or {})}
    busybox = {**BUSYBOX_IMAGE, **((values.get("busybox") or {}).get("image") or {})}
    check_db = f"{postgres['registry']}/{postgres['repository']}:{postgres['tag']}"
    subchart = values.get("dagster-user-deployments") or {}
    deployments = subchart.get("deployments") or [] if subchart.get("enabled") else []
    wait_for_code = [_image(busybox)] * len(deployments) if subchart.get("enableSubchart") else []
    pods = {}
    for name, key in (("webserver", "dagsterWebserver"), ("daemon", "dagsterDaemon")):
        part = values.get(key) or {}
        if key == "dagsterDaemon" and not part.get("enabled", True):
            continue
        init = [check_db] if part.get("checkDbReadyInitContainer", True) else []
        extra = [c["image"] for c in part.get("extraPrependedInitContainers") or []]
        sidecars = [c["image"] for c in part.get("extraContainers") or []]
        pods[name] = extra + init + wait_for_code + [_image(part["image"])] + sidecars
    for deployment in deployments:
        extra = [
            c["image"] if isinstance(c["image"], str) else _image(c["image"])
            for key in ("initContainers", "sidecarContainers")
            for c in deployment.get(key) or []
        ]
        pods[f"code location {deployment['name']}"] = [_image(deployment["image"]), *extra]
        if (deployment.get("includeConfigInLaunchedRuns") or {}).get("enabled"):
            pods[f"run of {deployment['name']}"] = [_image(deployment["image"])]
    if (values.get("migrate") or {}).get("enabled"):
        pods["migrate"] = [_image(values["dagsterWebserver"]["image"])]
    return pods


def admitted(image: str, patterns: list[str]) -> bool:
    """Binary Authorization's admission_whitelist_patterns: a trailing ``*``
    matches any characters but ``/``, a trailing ``**`` also subdirectories
    (cloud.google.com/binary-authorization/docs/policy-yaml-reference,
    admissionWhitelistPatterns)."""
    for pattern in patterns:
        if pattern.endswith("**"):
            if image.startswith(pattern[:-2]):
                return True
        elif pattern.endswith("*"):
            head = pattern[:-1]
            if image.startswith(head) and "/" not in image[len(head) :]:
                return True
        elif image == pattern:
            return True
    return False


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


def rendered_values() -> dict:
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
        "postgres_database": "dagster",
        "busybox_repository": defaults["busybox_image"].split(":")[0],
        "busybox_tag": defaults["busybox_image"].split(":")[1],
        **{name: defaults[name] for name in
           ("max_concurrent_runs", "run_cpu", "run_memory", "run_retries")},
    }  # fmt: skip
    return yaml.safe_load(render((DEPLOY / "helm" / "values.yaml.tftpl").read_text(), values))
