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

  # Images are checked against the project's Binary Authorization policy.
  binary_authorization {
    evaluation_mode = "PROJECT_SINGLETON_POLICY_ENFORCE"
  }

  # Kubernetes Secrets (the database password) encrypted with a key of the project's.
  database_encryption {
    state    = "ENCRYPTED"
    key_name = var.secrets_kms_key
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
# every run's pod) as the pipeline's.
resource "google_service_account_iam_member" "dagster_workload_identity" {
  service_account_id = google_service_account.dagster.name
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:${var.project_id}.svc.id.goog[dagster/dagster]"
}

resource "google_service_account_iam_member" "pipeline_workload_identity" {
  service_account_id = "projects/${var.project_id}/serviceAccounts/${var.service_account_email}"
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:${var.project_id}.svc.id.goog[dagster/gharchive-pipeline]"
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
