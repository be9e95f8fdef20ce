"""The rules Google's engines enforce on a first apply, which no emulator here
does: each test names its rule's source and reads terraform/ for it.

docs/gcp.md's ledger lists every rule the first real run depends on, with the
test that holds it (this module for terraform's, others for BigQuery's, the
chart's and dagster-k8s's).
"""

from __future__ import annotations

import re

import pytest

from tests.test_terraform import TERRAFORM, load, resources

# Which API each kind of resource is created through (each product's REST
# reference); `data "google_project"` reads the project through Resource Manager.
API_OF_PREFIX = {
    "google_project_service": "serviceusage.googleapis.com",
    "google_storage_": "storage.googleapis.com",
    "google_bigquery_": "bigquery.googleapis.com",
    "google_service_account": "iam.googleapis.com",
    "google_iam_workload_identity_pool": "iam.googleapis.com",
    "google_project_iam_": "cloudresourcemanager.googleapis.com",
    "google_container_": "container.googleapis.com",
    "google_sql_": "sqladmin.googleapis.com",
    "google_kms_": "cloudkms.googleapis.com",
    "google_binary_authorization_": "binaryauthorization.googleapis.com",
    "google_artifact_registry_": "artifactregistry.googleapis.com",
    "google_secret_manager_": "secretmanager.googleapis.com",
    "google_compute_": "compute.googleapis.com",
    "google_service_networking_": "servicenetworking.googleapis.com",
}


@pytest.fixture(scope="module")
def root() -> dict:
    return load(TERRAFORM)


@pytest.fixture(scope="module")
def home() -> dict:
    return load(TERRAFORM / "modules" / "dagster_home")


def depends_on(resource: dict) -> set[str]:
    return {d.removeprefix("${").removesuffix("}") for d in resource.get("depends_on", [])}


def test_cloud_sql_edition_takes_the_tier(home):
    """Cloud SQL (cloud.google.com/sql/docs/postgres/editions-intro): from
    PostgreSQL 16 the default edition is Enterprise Plus, which takes only
    db-perf-optimized-N-* tiers; a db-custom-* tier needs edition ENTERPRISE."""
    (database,) = resources(home, "google_sql_database_instance").values()
    version = int(database["database_version"].removeprefix("POSTGRES_"))
    settings = database["settings"][0]
    tier = home["variable"]["database_tier"]["default"]
    edition = settings.get("edition", "ENTERPRISE_PLUS" if version >= 16 else "ENTERPRISE")
    if tier.startswith("db-custom-"):
        assert edition == "ENTERPRISE", f"{tier} is refused by {edition}"
    else:
        assert edition == "ENTERPRISE_PLUS" and tier.startswith("db-perf-optimized-")


def test_workload_identity_bindings_wait_for_the_cluster(home):
    """GKE (cloud.google.com/kubernetes-engine/docs/how-to/workload-identity):
    the pool PROJECT.svc.id.goog exists once a cluster with Workload Identity
    does; a binding on it made before fails "Identity Pool does not exist"."""
    bindings = [
        (name, grant)
        for name, grant in resources(home, "google_service_account_iam_member").items()
        if ".svc.id.goog[" in grant["member"]
    ]
    assert len(bindings) == 2
    for name, grant in bindings:
        assert "google_container_cluster.dagster" in depends_on(grant), name


def test_cloud_sql_private_ip_has_private_services_access(home):
    """Cloud SQL (cloud.google.com/sql/docs/postgres/configure-private-services-access):
    a private IP needs an allocated VPC_PEERING range and a connection to
    servicenetworking.googleapis.com, made before the instance."""
    (database,) = resources(home, "google_sql_database_instance").values()
    assert database["settings"][0]["ip_configuration"][0]["ipv4_enabled"] is False
    assert "google_service_networking_connection.private_services" in depends_on(database)
    (address,) = resources(home, "google_compute_global_address").values()
    assert (address["purpose"], address["address_type"]) == ("VPC_PEERING", "INTERNAL")
    (connection,) = resources(home, "google_service_networking_connection").values()
    assert connection["service"] == "servicenetworking.googleapis.com"
    assert connection["reserved_peering_ranges"] == [
        "${google_compute_global_address.private_services.name}"
    ]
    assert (
        connection["network"]
        == address["network"]
        == database["settings"][0]["ip_configuration"][0]["private_network"]
    )


def test_the_secrets_key_is_made_when_none_is_given(home):
    """GKE application-layer secrets encryption
    (cloud.google.com/kubernetes-engine/docs/how-to/encrypting-secrets): the key
    must be in the cluster's location, and GKE's service agent must hold
    cryptoKeyEncrypterDecrypter on it before the cluster is made."""
    assert home["variable"]["secrets_kms_key"]["default"] == ""
    (ring,) = resources(home, "google_kms_key_ring").values()
    (key,) = resources(home, "google_kms_crypto_key").values()
    assert ring["location"] == "${var.region}"
    assert ring["count"] == key["count"] == '${var.secrets_kms_key == "" ? 1 : 0}'
    assert key["rotation_period"] and key["lifecycle"][0]["prevent_destroy"] is True
    (cluster,) = resources(home, "google_container_cluster").values()
    assert cluster["database_encryption"][0]["key_name"] == "${local.secrets_kms_key}"
    grant = resources(home, "google_kms_crypto_key_iam_member")["gke_secrets"]
    assert grant["crypto_key_id"] == "${local.secrets_kms_key}"
    assert "google_kms_crypto_key_iam_member.gke_secrets" in depends_on(cluster)


def test_every_api_a_resource_needs_is_enabled_by_terraform(root, home):
    """Every resource is refused until its API is enabled on the project
    (SERVICE_DISABLED). serviceusage and cloudresourcemanager must be on before
    terraform can enable the rest: docs/gcp.md's first step enables them."""
    apis = set(re.findall(r'"([a-z]+\.googleapis\.com)"', root["locals"]["apis"]))
    needed = {"cloudresourcemanager.googleapis.com", "iamcredentials.googleapis.com"}
    for config in (root, home):
        for kind in config["resource"]:
            (api,) = [a for prefix, a in API_OF_PREFIX.items() if kind.startswith(prefix)]
            needed.add(api)
    assert needed - apis == set()
    for name in ("lake",):
        assert "google_project_service.apis" in depends_on(
            resources(root, "google_storage_bucket")[name]
        )
    assert root["module"]["dagster_home"]["depends_on"] == ["${google_project_service.apis}"]
    (service,) = resources(root, "google_project_service").values()
    assert service["disable_on_destroy"] is False


def test_the_provider_has_every_attribute_the_config_reads(root, home):
    """google provider CHANGELOG: google_artifact_registry_repository's
    registry_uri was added in 6.48; under "~> 6.40" terraform may pick a
    release without it."""
    (requirements,) = root["terraform"]["required_providers"]
    constraint = requirements["google"]["version"]
    major, minor = (int(n) for n in constraint.removeprefix("~> ").split(".")[:2])
    text = "".join(p.read_text() for p in (TERRAFORM / "modules" / "dagster_home").glob("*.tf"))
    assert "registry_uri" in text
    assert (major, minor) >= (6, 48), constraint


def test_analytics_views_are_authorized_on_the_events_dataset(root):
    """BigQuery (cloud.google.com/bigquery/docs/authorized-datasets): a view
    runs with its reader's rights unless its dataset is authorized on the
    sources' dataset. The analysts may read analytics only; its views read
    gharchive.events and github_star_history."""
    access = resources(root, "google_bigquery_dataset_access")["analytics_views_read_events"]
    assert access["dataset_id"] == "${google_bigquery_dataset.events.dataset_id}"
    (authorized,) = access["dataset"]
    assert authorized["dataset"][0]["dataset_id"] == (
        "${google_bigquery_dataset.analytics.dataset_id}"
    )
    assert authorized["target_types"] == ["VIEWS"]


def test_the_control_plane_may_sign_its_log_urls(home):
    """Cloud Storage signed URLs (cloud.google.com/storage/docs/access-control/
    signing-urls-with-helpers): without a key, a URL is signed by IAM's signBlob,
    which needs iam.serviceAccounts.signBlob on the signing account
    (roles/iam.serviceAccountTokenCreator)."""
    grant = resources(home, "google_service_account_iam_member")["dagster_signs_log_urls"]
    assert grant["role"] == "roles/iam.serviceAccountTokenCreator"
    assert grant["service_account_id"] == "${google_service_account.dagster.name}"
    assert grant["member"] == "serviceAccount:${google_service_account.dagster.email}"
