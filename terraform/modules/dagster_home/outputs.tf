output "database_instance" {
  description = "Cloud SQL instance holding the Dagster instance's storage."
  value       = google_sql_database_instance.dagster.connection_name
}

output "cluster" {
  description = "GKE Autopilot cluster running Dagster (gcloud container clusters get-credentials)."
  value       = google_container_cluster.dagster.name
}

output "image_repository" {
  description = "Where to push the image built from deploy/Dockerfile."
  value       = local.image_repository
}

output "dagster_service_account" {
  description = "The control plane's identity (webserver, daemon)."
  value       = google_service_account.dagster.email
}

output "helm_values" {
  description = "Values for Dagster's Helm chart (no secret: the database password is in Secret Manager)."
  value = templatefile("${path.module}/../../../deploy/helm/values.yaml.tftpl", {
    chart_version            = var.dagster_chart_version
    image_repository         = local.image_repository
    image_tag                = var.image_tag
    control_service_account  = google_service_account.dagster.email
    pipeline_service_account = var.service_account_email
    pipeline_environment     = var.pipeline_environment
    compute_logs_bucket      = google_storage_bucket.compute_logs.name
    max_concurrent_runs      = var.max_concurrent_runs
    run_cpu                  = var.run_cpu
    run_memory               = var.run_memory
    run_retries              = var.run_retries
    postgres_host            = google_sql_database_instance.dagster.private_ip_address
    postgres_user            = google_sql_user.dagster.name
    busybox_repository       = split(":", var.busybox_image)[0]
    busybox_tag              = split(":", var.busybox_image)[1]
    postgres_database        = google_sql_database.dagster.name
  })
}

output "database_password_secret" {
  description = "Secret Manager secret holding the Dagster database's password (docs/gcp.md copies it into the cluster)."
  value       = google_secret_manager_secret.database_password.secret_id
}

output "github_workload_identity_provider" {
  description = "The deploy workflow's GCP_WORKLOAD_IDENTITY_PROVIDER (empty without github_repository)."
  value       = local.github_deploys ? google_iam_workload_identity_pool_provider.github[0].name : ""
}

output "github_deploy_service_account" {
  description = "The deploy workflow's GCP_DEPLOY_SERVICE_ACCOUNT (empty without github_repository)."
  value       = local.github_deploys ? google_service_account.github_deploy[0].email : ""
}
