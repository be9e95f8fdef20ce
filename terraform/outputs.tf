# Exactly the variables the pipeline reads (README "Configuration"); turn them
# into an env file with: terraform output -json | python3 env_from_outputs.py > gharchive.env

output "gharchive_target" {
  description = "GHARCHIVE_TARGET"
  value       = "gcp"
}

output "gharchive_gcp_project" {
  description = "GHARCHIVE_GCP_PROJECT"
  value       = var.project_id
}

output "gharchive_gcs_bucket" {
  description = "GHARCHIVE_GCS_BUCKET"
  value       = google_storage_bucket.lake.name
}

output "gharchive_bq_dataset" {
  description = "GHARCHIVE_BQ_DATASET"
  value       = google_bigquery_dataset.events.dataset_id
}

output "gharchive_bq_analytics_dataset" {
  description = "GHARCHIVE_BQ_ANALYTICS_DATASET"
  value       = google_bigquery_dataset.analytics.dataset_id
}

output "gharchive_bq_location" {
  description = "GHARCHIVE_BQ_LOCATION"
  value       = var.location
}

output "pipeline_service_account" {
  description = "The identity to run the pipeline as (or to impersonate); not an env variable."
  value       = google_service_account.pipeline.email
}

output "dagster_helm_values" {
  description = "Values for Dagster's Helm chart, with enable_dagster_home (no secret in them: pipe them to helm)."
  value       = var.enable_dagster_home ? module.dagster_home[0].helm_values : null
}

output "dagster_image_repository" {
  description = "Where to push the image built from deploy/Dockerfile, with enable_dagster_home."
  value       = var.enable_dagster_home ? module.dagster_home[0].image_repository : null
}

output "dagster_database_password_secret" {
  description = "Secret Manager secret with the Dagster database's password, with enable_dagster_home."
  value       = var.enable_dagster_home ? module.dagster_home[0].database_password_secret : null
}

output "github_workload_identity_provider" {
  description = "The deploy workflow's repository variable GCP_WORKLOAD_IDENTITY_PROVIDER, with enable_dagster_home and github_repository."
  value       = var.enable_dagster_home ? module.dagster_home[0].github_workload_identity_provider : null
}

output "github_deploy_service_account" {
  description = "The deploy workflow's repository variable GCP_DEPLOY_SERVICE_ACCOUNT, with enable_dagster_home and github_repository."
  value       = var.enable_dagster_home ? module.dagster_home[0].github_deploy_service_account : null
}
