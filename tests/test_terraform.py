"""terraform/, checked offline: it parses, and the parsed resources are secure by default.

No terraform binary or provider can be fetched here (see NOTES), so this reads
the HCL with python-hcl2 and asserts the properties on what it declares.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import hcl2
import pytest

TERRAFORM = Path(__file__).resolve().parents[1] / "terraform"
PRIMITIVE_ROLES = {"roles/owner", "roles/editor", "roles/viewer"}
GCP_VARIABLES = {
    "GHARCHIVE_TARGET",
    "GHARCHIVE_GCP_PROJECT",
    "GHARCHIVE_GCS_BUCKET",
    "GHARCHIVE_BQ_DATASET",
    "GHARCHIVE_BQ_ANALYTICS_DATASET",
    "GHARCHIVE_BQ_LOCATION",
}


def _unquote(value):
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    if isinstance(value, dict):
        return {_unquote(k): _unquote(v) for k, v in value.items() if k != "__is_block__"}
    if isinstance(value, list):
        return [_unquote(item) for item in value]
    return value


@pytest.fixture(scope="module")
def config() -> dict:
    return load(TERRAFORM)


@pytest.fixture(scope="module")
def dagster_home() -> dict:
    return load(TERRAFORM / "modules" / "dagster_home")


def load(directory: Path) -> dict:
    """A directory's .tf files merged: {"resource": {type: {name: body}}, "variable": …}."""
    merged: dict = {}
    for path in sorted(directory.glob("*.tf")):
        with open(path) as handle:
            parsed = _unquote(hcl2.load(handle))
        for block, entries in parsed.items():
            for entry in entries:
                for name, body in entry.items():
                    if block == "resource":
                        for resource_name, resource in body.items():
                            merged.setdefault("resource", {}).setdefault(name, {})[
                                resource_name
                            ] = resource
                    else:
                        merged.setdefault(block, {})[name] = body
    return merged


def resources(config, kind: str) -> dict:
    return config["resource"].get(kind, {})


def test_bucket_is_private_uniform_versioned_with_lifecycle(config):
    (bucket,) = resources(config, "google_storage_bucket").values()
    assert bucket["uniform_bucket_level_access"] is True
    assert bucket["public_access_prevention"] == "enforced"
    assert bucket["versioning"][0]["enabled"] is True
    assert bucket["force_destroy"] is False
    assert bucket["labels"] == "${var.labels}"
    rules = {
        (rule["action"][0]["type"], tuple(rule["condition"][0].get("matches_prefix", [])))
        for rule in bucket["lifecycle_rule"]
    }
    assert ("SetStorageClass", ("raw/",)) in rules
    assert ("Delete", ("quarantine/",)) in rules
    assert ("Delete", ("reports/",)) in rules


def test_datasets_in_the_chosen_location_with_labels(config):
    datasets = resources(config, "google_bigquery_dataset")
    assert {d["dataset_id"] for d in datasets.values()} == {
        "${var.events_dataset}",
        "${var.analytics_dataset}",
    }
    for dataset in datasets.values():
        assert dataset["location"] == "${var.location}"
        assert dataset["labels"] == "${var.labels}"
        assert dataset["delete_contents_on_destroy"] is False


def test_the_pipeline_has_least_privilege_and_no_keys(config):
    assert not resources(config, "google_service_account_key"), "no keys from terraform"
    member = "serviceAccount:${google_service_account.pipeline.email}"
    bucket_grants = resources(config, "google_storage_bucket_iam_member")
    assert [(g["role"], g["bucket"]) for g in bucket_grants.values() if g["member"] == member] == [
        ("roles/storage.objectAdmin", "${google_storage_bucket.lake.name}")
    ]
    dataset_grants = resources(config, "google_bigquery_dataset_iam_member")
    assert sorted(
        (g["role"], g["dataset_id"]) for g in dataset_grants.values() if g["member"] == member
    ) == [
        ("roles/bigquery.dataEditor", "${google_bigquery_dataset.analytics.dataset_id}"),
        ("roles/bigquery.dataEditor", "${google_bigquery_dataset.events.dataset_id}"),
    ]
    project_grants = resources(config, "google_project_iam_member")
    assert [g["role"] for g in project_grants.values()] == ["roles/bigquery.jobUser"]
    analysts = dataset_grants["analysts_read_analytics"]
    assert (analysts["role"], analysts["member"]) == (
        "roles/bigquery.dataViewer",
        "group:${var.analysts_group}",
    )
    # Nothing anywhere binds a primitive role, nor IAM on the project beyond job user.
    every_role = {
        grant["role"]
        for kind, grants in config["resource"].items()
        if "iam" in kind
        for grant in grants.values()
    }
    assert not every_role & PRIMITIVE_ROLES
    assert not resources(config, "google_project_iam_binding")
    assert not resources(config, "google_project_iam_policy")


def test_provider_pinned_and_variables_described_and_validated(config):
    (requirements,) = config["terraform"]["required_providers"]
    assert requirements["google"]["version"].startswith("~> ")
    for name, variable in config["variable"].items():
        assert variable.get("description"), f"variable {name} has no description"
    validated = {name for name, variable in config["variable"].items() if "validation" in variable}
    assert {
        "project_id",
        "location",
        "bucket_name",
        "events_dataset",
        "analytics_dataset",
    } <= validated


def test_dagster_home_is_optional_private_and_keeps_its_secret(config, dagster_home):
    module = config["module"]["dagster_home"]
    assert module["count"] == "${var.enable_dagster_home ? 1 : 0}"
    assert config["variable"]["enable_dagster_home"]["default"] is False

    (database,) = resources(dagster_home, "google_sql_database_instance").values()
    settings = database["settings"][0]
    ip = settings["ip_configuration"][0]
    assert ip["ipv4_enabled"] is False and ip["ssl_mode"] == "ENCRYPTED_ONLY"
    assert settings["backup_configuration"][0]["enabled"] is True
    assert database["database_version"].startswith("POSTGRES_")


def test_the_database_password_is_only_in_secret_manager(config, dagster_home):
    """Generated for one apply (ephemeral) and written through write-only
    arguments: nothing of it in the state, the outputs or the Helm values."""
    assert not resources(dagster_home, "random_password")
    (generated,) = dagster_home["ephemeral"]["random_password"].values()
    assert int(generated["length"]) >= 32
    password = "${ephemeral.random_password.dagster.result}"
    (version,) = resources(dagster_home, "google_secret_manager_secret_version").values()
    assert version["secret_data_wo"] == password and "secret_data" not in version
    (user,) = resources(dagster_home, "google_sql_user").values()
    assert user["password_wo"] == password and "password" not in user
    assert version["secret_data_wo_version"] == user["password_wo_version"]
    for outputs in (dagster_home["output"], config["output"]):
        assert not [n for n, o in outputs.items() if "random_password" in str(o.get("value"))]
        assert not [name for name, o in outputs.items() if o.get("sensitive")]
    values = (TERRAFORM.parent / "deploy" / "helm" / "values.yaml.tftpl").read_text()
    assert "postgresqlPassword" not in values
    assert "generatePostgresqlPasswordSecret: false" in values


def test_state_is_kept_in_gcs(config):
    (backend,) = config["terraform"]["backend"]
    assert list(backend) == ["gcs"]
    assert config["terraform"]["required_version"] == ">= 1.11", "write-only arguments"


def test_dagster_runs_on_gke_autopilot_never_on_cloud_run(dagster_home):
    """Cloud Run services must answer HTTP on PORT: a daemon there never becomes
    ready. The daemon, the UI and every run live in an Autopilot cluster."""
    assert not resources(dagster_home, "google_cloud_run_v2_service")
    assert not resources(dagster_home, "google_cloud_run_service")
    (cluster,) = resources(dagster_home, "google_container_cluster").values()
    assert cluster["enable_autopilot"] is True
    assert cluster["private_cluster_config"][0]["enable_private_nodes"] is True
    assert cluster["database_encryption"][0]["state"] == "ENCRYPTED"


def test_the_control_plane_and_the_pipeline_are_separate_identities(dagster_home):
    """The webserver and daemon act as their own account, with no grant on the
    data; the pipeline's account is bound only to the pods that run the code."""
    accounts = {a["account_id"] for a in resources(dagster_home, "google_service_account").values()}
    assert accounts == {"gharchive-dagster", "gharchive-gke-nodes", "gharchive-deploy"}
    bindings = {
        (grant["member"], grant["role"]): grant["service_account_id"]
        for name, grant in resources(dagster_home, "google_service_account_iam_member").items()
        if name != "github_deploy_federation"  # the deploy workflow's: its own test
    }
    assert bindings == {
        ("serviceAccount:${var.project_id}.svc.id.goog[dagster/dagster]",
         "roles/iam.workloadIdentityUser"): "${google_service_account.dagster.name}",
        ("serviceAccount:${var.project_id}.svc.id.goog[dagster/gharchive-pipeline]",
         "roles/iam.workloadIdentityUser"):
            "projects/${var.project_id}/serviceAccounts/${var.service_account_email}",
        # Signing its own log download URLs (signBlob), on itself only.
        ("serviceAccount:${google_service_account.dagster.email}",
         "roles/iam.serviceAccountTokenCreator"): "${google_service_account.dagster.name}",
    }  # fmt: skip
    control_member = "serviceAccount:${google_service_account.dagster.email}"
    grants = sorted(
        (kind, grant["role"])
        for kind, entries in dagster_home["resource"].items()
        if kind.endswith("_iam_member") and kind != "google_service_account_iam_member"
        for grant in entries.values()
        if grant["member"] == control_member or control_member in grant.get("for_each", {}).values()
    )
    assert grants == [
        ("google_storage_bucket_iam_member", "roles/storage.legacyBucketReader"),
        ("google_storage_bucket_iam_member", "roles/storage.objectViewer"),
    ]


def test_only_the_repositorys_deploy_environment_may_deploy_and_only_that(config, dagster_home):
    """The deploy workflow's identity: GitHub's OIDC token for a job of the one
    repository in its deployment environment, exchanged through Workload Identity
    Federation (no key); it may push images to this registry and upgrade the
    release, nothing else."""
    (provider,) = resources(dagster_home, "google_iam_workload_identity_pool_provider").values()
    assert provider["oidc"][0]["issuer_uri"] == "https://token.actions.githubusercontent.com"
    assert provider["attribute_condition"] == (
        "assertion.sub == 'repo:${local.github_owner}/${local.github_name}"
        ":environment:${var.github_environment}'"
    )
    assert provider["attribute_mapping"]["attribute.repository"] == "assertion.repository"
    (binding,) = [
        grant
        for name, grant in resources(dagster_home, "google_service_account_iam_member").items()
        if name == "github_deploy_federation"
    ]
    assert binding["role"] == "roles/iam.workloadIdentityUser"
    assert binding["member"].endswith("/attribute.repository/${var.github_repository}")
    deployer = "serviceAccount:${google_service_account.github_deploy[0].email}"
    grants = sorted(
        (kind, grant["role"])
        for kind, entries in dagster_home["resource"].items()
        if kind.endswith("_iam_member")
        for grant in entries.values()
        if grant["member"] == deployer
    )
    assert grants == [
        ("google_artifact_registry_repository_iam_member", "roles/artifactregistry.writer"),
        ("google_project_iam_member", "roles/container.developer"),
    ]
    every_resource = [kind for cfg in (config, dagster_home) for kind in cfg["resource"]]
    assert "google_service_account_key" not in every_resource, "no JSON key, anywhere"
    # Off unless a repository is named; the root hands both settings through.
    for name in ("github_repository", "github_environment"):
        assert config["module"]["dagster_home"][name] == f"${{var.{name}}}"


def test_private_nodes_reach_the_archive_through_cloud_nat(dagster_home):
    (router,) = resources(dagster_home, "google_compute_router").values()
    (nat,) = resources(dagster_home, "google_compute_router_nat").values()
    assert router["network"] == "${var.network}"
    assert nat["router"] == "${google_compute_router.nat.name}"
    assert nat["subnetwork"][0]["name"] == "${var.subnetwork}"
    assert nat["subnetwork"][0]["source_ip_ranges_to_nat"] == ["ALL_IP_RANGES"]


def test_gke_can_use_the_secrets_key_and_nodes_have_their_own_account(dagster_home):
    (cluster,) = resources(dagster_home, "google_container_cluster").values()
    (grant,) = resources(dagster_home, "google_kms_crypto_key_iam_member").values()
    assert grant["crypto_key_id"] == cluster["database_encryption"][0]["key_name"]
    assert grant["role"] == "roles/cloudkms.cryptoKeyEncrypterDecrypter"
    assert grant["member"].endswith("@container-engine-robot.iam.gserviceaccount.com")
    assert "google_kms_crypto_key_iam_member.gke_secrets" in str(cluster["depends_on"])

    defaults = cluster["cluster_autoscaling"][0]["auto_provisioning_defaults"][0]
    assert defaults["service_account"] == "${google_service_account.nodes.email}"
    node = "serviceAccount:${google_service_account.nodes.email}"
    roles = {
        (kind, g["role"])
        for kind, entries in dagster_home["resource"].items()
        if kind.endswith("_iam_member")
        for g in entries.values()
        if g.get("member") == node
    }
    assert roles == {
        ("google_project_iam_member", "roles/container.defaultNodeServiceAccount"),
        ("google_artifact_registry_repository_iam_member", "roles/artifactregistry.reader"),
    }


def test_binary_authorization_admits_only_our_images(dagster_home):
    from tests.helm_chart import rendered_values

    (cluster,) = resources(dagster_home, "google_container_cluster").values()
    assert cluster["binary_authorization"][0]["evaluation_mode"] == (
        "PROJECT_SINGLETON_POLICY_ENFORCE"
    )
    (policy,) = resources(dagster_home, "google_binary_authorization_policy").values()
    assert policy["default_admission_rule"][0]["evaluation_mode"] == "ALWAYS_DENY"
    assert policy["default_admission_rule"][0]["enforcement_mode"] == (
        "ENFORCED_BLOCK_AND_AUDIT_LOG"
    )
    patterns = [p["name_pattern"] for p in policy["admission_whitelist_patterns"]]
    assert patterns == ["${local.image_repository}*", "${var.busybox_image}*"]
    # Every image the chart runs is one of those two.
    values = rendered_values()
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    images = {
        part["image"]["repository"]
        for part in (values["dagsterWebserver"], values["dagsterDaemon"], deployment)
    }
    assert images == {"registry.example/p/gharchive/dagster"}
    busybox = dagster_home["variable"]["busybox_image"]["default"]
    assert f"{values['busybox']['image']['repository']}:{values['busybox']['image']['tag']}" == (
        busybox
    )


@pytest.mark.slow
def test_outputs_are_exactly_the_pipeline_variables(config):
    named = {name.upper() for name in config["output"] if name.startswith("gharchive_")}
    assert named == GCP_VARIABLES
    outputs = {
        name: {"value": value} for name, value in {
            "gharchive_target": "gcp",
            "gharchive_gcs_bucket": "my lake",
            "pipeline_service_account": "x@y",
        }.items()
    }  # fmt: skip
    completed = subprocess.run(
        [sys.executable, str(TERRAFORM / "env_from_outputs.py")],
        input=json.dumps(outputs),
        capture_output=True,
        text=True,
        check=True,
    )
    assert completed.stdout.splitlines() == [
        "export GHARCHIVE_GCS_BUCKET='my lake'",
        "export GHARCHIVE_TARGET=gcp",
    ]


CHECKOV = Path(__file__).resolve().parents[1] / ".venv-checkov" / "bin" / "checkov"


@pytest.mark.slow
def test_checkov_passes_with_every_skip_justified():
    if not CHECKOV.exists():
        raise RuntimeError(f"{CHECKOV} is missing: run the tests through `make test`")
    completed = subprocess.run(
        [str(CHECKOV), "-d", str(TERRAFORM), "--framework", "terraform", "--skip-download",
         "--quiet", "--compact", "--output", "json"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    report = json.loads(completed.stdout)
    summary = report["summary"]
    assert summary["failed"] == 0, completed.stdout[-3000:]
    assert summary["passed"] >= 10
    skips = [
        line.strip()
        for path in TERRAFORM.rglob("*.tf")
        for line in path.read_text().splitlines()
        if "checkov:skip=" in line
    ]
    assert len(skips) == summary["skipped"]
    for skip in skips:
        check, _, reason = skip.partition("checkov:skip=")[2].partition(":")
        assert check.startswith("CKV_") and len(reason) > 40, f"unjustified skip: {skip}"


@pytest.mark.slow
def test_terraform_files_are_formatted():
    """terraform fmt where a terraform binary exists, else hashicorp's hclfmt (make builds it)."""
    import shutil

    terraform = shutil.which("terraform")
    if terraform:
        completed = subprocess.run(
            [terraform, "fmt", "-check", "-recursive", str(TERRAFORM)],
            capture_output=True,
            text=True,
        )
        assert completed.returncode == 0, completed.stdout
        return
    hclfmt = Path(sys.executable).with_name("hclfmt")
    if not hclfmt.exists():
        pytest.skip(
            "no terraform or hclfmt: needs Debian's golang-go and golang-github-hashicorp-hcl-v2-dev"
        )
    for path in sorted(TERRAFORM.rglob("*.tf")):
        completed = subprocess.run(
            [str(hclfmt), "-require-no-change", str(path)], capture_output=True, text=True
        )
        assert completed.returncode == 0, f"{path.name} is not formatted:\n{completed.stderr}"


def test_production_dagster_yaml_is_a_valid_instance_config(tmp_path, monkeypatch):
    """The production instance: valid, runs as Kubernetes Jobs, logs in GCS."""
    from dagster._config import process_config
    from dagster._core.instance.config import dagster_instance_config
    from dagster._serdes import class_from_code_pointer

    (tmp_path / "dagster.yaml").write_text(
        (Path(__file__).resolve().parents[1] / "deploy" / "dagster.gcp.yaml").read_text()
    )
    for name in ("DAGSTER_PG_HOST", "DAGSTER_PG_USER", "DAGSTER_PG_PASSWORD", "DAGSTER_PG_DB",
                 "DAGSTER_COMPUTE_LOG_BUCKET"):  # fmt: skip
        monkeypatch.setenv(name, "x")
    config, _ = dagster_instance_config(str(tmp_path))
    assert config["storage"]["postgres"]["postgres_db"]["password"] == {
        "env": "DAGSTER_PG_PASSWORD"
    }
    for part, expected in (
        ("run_launcher", "K8sRunLauncher"),
        ("compute_logs", "GCSComputeLogManager"),  # signing its links by IAM
    ):
        cls = class_from_code_pointer(config[part]["module"], config[part]["class"])
        assert expected in [base.__name__ for base in cls.__mro__]
        checked = process_config(cls.config_type(), config[part]["config"])
        assert checked.success, checked.errors
    assert config["concurrency"]["pools"]["default_limit"] == 1
    assert config["run_retries"]["enabled"] is True
