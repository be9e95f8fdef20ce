# The APIs every resource below needs, enabled by terraform itself. Two must be
# on before terraform can enable anything (docs/gcp.md, step 1): serviceusage
# (what google_project_service calls) and cloudresourcemanager (the project's
# number, read by the Dagster home).
locals {
  apis = concat(
    [
      "serviceusage.googleapis.com",
      "cloudresourcemanager.googleapis.com",
      "iam.googleapis.com",
      "storage.googleapis.com",
      "bigquery.googleapis.com",
    ],
    var.enable_dagster_home ? [
      "iamcredentials.googleapis.com",
      "sts.googleapis.com",
      "compute.googleapis.com",
      "servicenetworking.googleapis.com",
      "sqladmin.googleapis.com",
      "container.googleapis.com",
      "artifactregistry.googleapis.com",
      "secretmanager.googleapis.com",
      "cloudkms.googleapis.com",
      "binaryauthorization.googleapis.com",
    ] : []
  )
}

resource "google_project_service" "apis" {
  for_each = toset(local.apis)
  project  = var.project_id
  service  = each.value
  # Turning an API off on destroy would break whatever else in the project uses it.
  disable_on_destroy = false
}

# The lake: raw archive files, clean parquet, quarantine and reports.
resource "google_storage_bucket" "lake" {
  depends_on = [google_project_service.apis]
  #checkov:skip=CKV_GCP_62:Object access is recorded by Cloud Audit Logs (Data Access), Google's recommended way; the legacy usage-log bucket would need logging of its own.
  name                        = var.bucket_name
  location                    = var.location
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false
  labels                      = var.labels

  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      age            = var.raw_coldline_after_days
      matches_prefix = ["raw/"]
    }
    action {
      type          = "SetStorageClass"
      storage_class = "COLDLINE"
    }
  }

  lifecycle_rule {
    condition {
      age            = var.quarantine_retention_days
      matches_prefix = ["quarantine/"]
    }
    action {
      type = "Delete"
    }
  }

  lifecycle_rule {
    condition {
      age            = var.reports_retention_days
      matches_prefix = ["reports/"]
    }
    action {
      type = "Delete"
    }
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = var.noncurrent_version_retention_days
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }
}

resource "google_bigquery_dataset" "events" {
  depends_on = [google_project_service.apis]
  #checkov:skip=CKV_GCP_81:The data is public GitHub events; Google-managed encryption at rest is always on, and a customer key would add KMS cost and key custody without protecting anything confidential.
  dataset_id                 = var.events_dataset
  location                   = var.location
  description                = "GH Archive events loaded by gharchive_assets (table events, loaded_hours)."
  delete_contents_on_destroy = false
  labels                     = var.labels
}

resource "google_bigquery_dataset" "analytics" {
  depends_on = [google_project_service.apis]
  #checkov:skip=CKV_GCP_81:Aggregates of public GitHub events; Google-managed encryption at rest is always on (see the events dataset).
  dataset_id                 = var.analytics_dataset
  location                   = var.location
  description                = "dbt models of gharchive_assets (staging views and daily marts)."
  delete_contents_on_destroy = false
  labels                     = var.labels
}

# The pipeline's identity. No key is created: run as this account on GCP, or
# impersonate it from a laptop (see README.md).
resource "google_service_account" "pipeline" {
  depends_on   = [google_project_service.apis]
  account_id   = "gharchive-pipeline"
  display_name = "gharchive_assets pipeline"
  description  = "Writes the lake bucket and the two BigQuery datasets; runs BigQuery jobs."
}

resource "google_storage_bucket_iam_member" "pipeline_objects" {
  bucket = google_storage_bucket.lake.name
  role   = "roles/storage.objectAdmin"
  member = "serviceAccount:${google_service_account.pipeline.email}"
}

resource "google_bigquery_dataset_iam_member" "pipeline_events" {
  dataset_id = google_bigquery_dataset.events.dataset_id
  role       = "roles/bigquery.dataEditor"
  member     = "serviceAccount:${google_service_account.pipeline.email}"
}

resource "google_bigquery_dataset_iam_member" "pipeline_analytics" {
  dataset_id = google_bigquery_dataset.analytics.dataset_id
  role       = "roles/bigquery.dataEditor"
  member     = "serviceAccount:${google_service_account.pipeline.email}"
}

# Running load and query jobs is granted on the project: BigQuery has no narrower scope for it.
resource "google_project_iam_member" "pipeline_jobs" {
  project = var.project_id
  role    = "roles/bigquery.jobUser"
  member  = "serviceAccount:${google_service_account.pipeline.email}"
}

resource "google_bigquery_dataset_iam_member" "analysts_read_analytics" {
  count      = var.analysts_group == "" ? 0 : 1
  dataset_id = google_bigquery_dataset.analytics.dataset_id
  role       = "roles/bigquery.dataViewer"
  member     = "group:${var.analysts_group}"
}

# The analytics views (stg_*, the dimensions, repo_stars_daily,
# event_estimates_hourly) read gharchive.events and github_star_history. A
# view is run with its reader's rights unless it is authorized on its sources:
# without this the analysts, who may read analytics only, get "Access Denied"
# from every view. Authorizing the dataset covers every view dbt makes there.
resource "google_bigquery_dataset_access" "analytics_views_read_events" {
  dataset_id = google_bigquery_dataset.events.dataset_id
  dataset {
    dataset {
      project_id = var.project_id
      dataset_id = google_bigquery_dataset.analytics.dataset_id
    }
    target_types = ["VIEWS"]
  }
}

# Optional: a production home for Dagster itself (turn on with enable_dagster_home).
module "dagster_home" {
  source     = "./modules/dagster_home"
  count      = var.enable_dagster_home ? 1 : 0
  depends_on = [google_project_service.apis]

  project_id            = var.project_id
  region                = var.region
  network               = var.dagster_network
  subnetwork            = var.dagster_subnetwork
  admin_cidr_blocks     = var.dagster_admin_cidr_blocks
  secrets_kms_key       = var.dagster_secrets_kms_key
  image_tag             = var.dagster_image_tag
  github_repository     = var.github_repository
  github_environment    = var.github_environment
  max_concurrent_runs   = var.dagster_max_concurrent_runs
  service_account_email = google_service_account.pipeline.email
  labels                = var.labels
  pipeline_environment = {
    GHARCHIVE_TARGET               = "gcp"
    GHARCHIVE_GCP_PROJECT          = var.project_id
    GHARCHIVE_GCS_BUCKET           = google_storage_bucket.lake.name
    GHARCHIVE_BQ_DATASET           = google_bigquery_dataset.events.dataset_id
    GHARCHIVE_BQ_ANALYTICS_DATASET = google_bigquery_dataset.analytics.dataset_id
    GHARCHIVE_BQ_LOCATION          = var.location
    GHARCHIVE_HOURS_PER_RUN        = "24"
  }
}
