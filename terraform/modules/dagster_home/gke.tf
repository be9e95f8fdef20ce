# Dagster on GKE Autopilot, with Dagster's official Helm chart: the webserver,
# the daemon and the code server as small Deployments, and every run a
# Kubernetes Job of its own (K8sRunLauncher), so a backfill spreads over as
# many nodes as Autopilot provides and nothing runs when nothing is queued.

resource "google_container_cluster" "dagster" {
  #checkov:skip=CKV_GCP_69:Autopilot always runs the GKE metadata server (Workload Identity is always on); node_config cannot be set on Autopilot.
  #checkov:skip=CKV_GCP_61:Autopilot manages intranode visibility itself (Dataplane V2), and VPC flow logs belong to the subnetwork, which this module is given, not owns.
  #checkov:skip=CKV_GCP_12:Autopilot enforces network policies through Dataplane V2 (datapath_provider ADVANCED_DATAPATH below); the network_policy block is for Calico on Standard clusters.
  #checkov:skip=CKV_GCP_65:Google Groups for RBAC needs a Google Workspace domain the project may not have; access to the cluster goes through IAM roles on the project.
  name                = "gharchive-dagster"
  location            = var.region
  enable_autopilot    = true
  network             = var.network
  subnetwork          = var.subnetwork
  deletion_protection = var.deletion_protection
  resource_labels     = var.labels

  release_channel {
    channel = "REGULAR"
  }

  # Nodes have no public address; the control plane answers only the admin ranges.
  private_cluster_config {
    enable_private_nodes    = true
    enable_private_endpoint = false
    master_ipv4_cidr_block  = var.master_ipv4_cidr_block
  }

  master_authorized_networks_config {
    dynamic "cidr_blocks" {
      for_each = var.admin_cidr_blocks
      content {
        cidr_block   = cidr_blocks.value
        display_name = "admin"
      }
    }
  }

  ip_allocation_policy {}

  # Network policies through Dataplane V2 (Autopilot's own datapath).
  datapath_provider = "ADVANCED_DATAPATH"

  master_auth {
    client_certificate_config {
      issue_client_certificate = false
    }
  }

  # Nodes run as their own account (logs, metrics, pulls from the image
  # repository), not as the Compute Engine default account.
  cluster_autoscaling {
    auto_provisioning_defaults {
      service_account = google_service_account.nodes.email
      oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"]
    }
  }

  # Images are checked against the project's Binary Authorization policy
  # (google_binary_authorization_policy.images below).
  binary_authorization {
    evaluation_mode = "PROJECT_SINGLETON_POLICY_ENFORCE"
  }

  # Kubernetes Secrets (the database password) encrypted with a key of the project's.
  database_encryption {
    state    = "ENCRYPTED"
    key_name = local.secrets_kms_key
  }

  # GKE's service agent must be able to use the key before the cluster exists.
  depends_on = [google_kms_crypto_key_iam_member.gke_secrets, google_binary_authorization_policy.images]
}

data "google_project" "this" {
  project_id = var.project_id
}

resource "google_kms_crypto_key_iam_member" "gke_secrets" {
  crypto_key_id = local.secrets_kms_key
  role          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
  member        = "serviceAccount:service-${data.google_project.this.number}@container-engine-robot.iam.gserviceaccount.com"
}

# The nodes' identity: Google's minimal role for node accounts (logs, metrics),
# and reading the image repository, nothing else.
resource "google_service_account" "nodes" {
  account_id   = "gharchive-gke-nodes"
  display_name = "gharchive_assets GKE nodes"
  description  = "The cluster's nodes: write logs and metrics, pull images from the gharchive repository."
}

resource "google_project_iam_member" "nodes" {
  project = var.project_id
  role    = "roles/container.defaultNodeServiceAccount"
  member  = "serviceAccount:${google_service_account.nodes.email}"
}

resource "google_artifact_registry_repository_iam_member" "nodes_pull_images" {
  location   = google_artifact_registry_repository.images.location
  repository = google_artifact_registry_repository.images.name
  role       = "roles/artifactregistry.reader"
  member     = "serviceAccount:${google_service_account.nodes.email}"
}

# Only this repository's images run (and the chart's busybox, pinned in the
# Helm values), plus Google's own system images; anything else is refused and
# logged.
resource "google_binary_authorization_policy" "images" {
  project                       = var.project_id
  global_policy_evaluation_mode = "ENABLE"

  admission_whitelist_patterns {
    name_pattern = "${local.image_repository}*"
  }
  admission_whitelist_patterns {
    name_pattern = "${var.busybox_image}*"
  }

  default_admission_rule {
    evaluation_mode  = "ALWAYS_DENY"
    enforcement_mode = "ENFORCED_BLOCK_AND_AUDIT_LOG"
  }
}

# Private nodes have no public address: runs download GH Archive's hours, and
# the chart's busybox is pulled, through Cloud NAT.
resource "google_compute_router" "nat" {
  name    = "gharchive-dagster-nat"
  region  = var.region
  network = var.network
}

resource "google_compute_router_nat" "nat" {
  name                               = "gharchive-dagster-nat"
  router                             = google_compute_router.nat.name
  region                             = var.region
  nat_ip_allocate_option             = "AUTO_ONLY"
  source_subnetwork_ip_ranges_to_nat = "LIST_OF_SUBNETWORKS"

  subnetwork {
    name                    = var.subnetwork
    source_ip_ranges_to_nat = ["ALL_IP_RANGES"]
  }

  log_config {
    enable = true
    filter = "ERRORS_ONLY"
  }
}

# Dagster's control plane (webserver, daemon): reads the instance and the
# compute logs, launches runs in the cluster; no access to the data.
resource "google_service_account" "dagster" {
  account_id   = "gharchive-dagster"
  display_name = "gharchive_assets Dagster control plane"
  description  = "The Dagster webserver and daemon on GKE: compute logs, no data."
}

# Workload Identity: the chart's Kubernetes service account `dagster` acts as
# the control plane's identity, and `gharchive-pipeline` (the code server and
# every run's pod) as the pipeline's. The pool PROJECT.svc.id.goog exists only
# once a Workload Identity cluster does: in a new project a binding made before
# the cluster fails with "Identity Pool does not exist".
resource "google_service_account_iam_member" "dagster_workload_identity" {
  service_account_id = google_service_account.dagster.name
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:${var.project_id}.svc.id.goog[dagster/dagster]"
  depends_on         = [google_container_cluster.dagster]
}

resource "google_service_account_iam_member" "pipeline_workload_identity" {
  service_account_id = "projects/${var.project_id}/serviceAccounts/${var.service_account_email}"
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:${var.project_id}.svc.id.goog[dagster/gharchive-pipeline]"
  depends_on         = [google_container_cluster.dagster]
}

# The UI's log downloads are signed URLs. Under Workload Identity there is no
# key to sign with: the webserver signs through IAM's signBlob as its own
# account (gharchive_assets/compute_logs.py), which needs this on itself.
resource "google_service_account_iam_member" "dagster_signs_log_urls" {
  service_account_id = google_service_account.dagster.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = "serviceAccount:${google_service_account.dagster.email}"
}

# Compute logs (each step's stdout and stderr): written by runs, read by the UI.
resource "google_storage_bucket" "compute_logs" {
  #checkov:skip=CKV_GCP_62:Access is recorded by Cloud Audit Logs (Data Access), Google's recommended way; a usage-log bucket would need logging of its own.
  #checkov:skip=CKV_GCP_78:A running step's log is uploaded again every 30 s, overwriting itself; versioning would keep every partial copy until they expire.
  name                        = "${var.project_id}-gharchive-dagster-logs"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false
  labels                      = var.labels

  lifecycle_rule {
    condition {
      age = var.compute_log_retention_days
    }
    action {
      type = "Delete"
    }
  }
}

# dagster-gcp's GCSComputeLogManager looks the bucket up (bucket.exists(),
# storage.buckets.get) wherever it is made: in every run, the webserver and the
# daemon. Without this, a run fails with 403 before its first step.
resource "google_storage_bucket_iam_member" "logs_bucket_lookup" {
  for_each = {
    pipeline = "serviceAccount:${var.service_account_email}"
    dagster  = "serviceAccount:${google_service_account.dagster.email}"
  }
  bucket = google_storage_bucket.compute_logs.name
  role   = "roles/storage.legacyBucketReader"
  member = each.value
}

resource "google_storage_bucket_iam_member" "pipeline_writes_logs" {
  bucket = google_storage_bucket.compute_logs.name
  role   = "roles/storage.objectAdmin"
  member = "serviceAccount:${var.service_account_email}"
}

resource "google_storage_bucket_iam_member" "dagster_reads_logs" {
  bucket = google_storage_bucket.compute_logs.name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_service_account.dagster.email}"
}

# The image (deploy/Dockerfile) lives here; the cluster's nodes pull it.
resource "google_artifact_registry_repository" "images" {
  #checkov:skip=CKV_GCP_84:The image holds this public repository's code and public packages; Google-managed encryption at rest is always on, and a customer key would add KMS cost without protecting anything confidential.
  repository_id = "gharchive"
  location      = var.region
  format        = "DOCKER"
  description   = "gharchive_assets images (deploy/Dockerfile)."
  labels        = var.labels
}

locals {
  image_repository = "${google_artifact_registry_repository.images.registry_uri}/dagster"
}
