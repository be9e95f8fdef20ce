output "database_instance" {
  description = "Cloud SQL instance holding the Dagster instance's storage."
  value       = google_sql_database_instance.dagster.connection_name
}

output "webserver_service" {
  description = "Cloud Run service of the Dagster UI (internal ingress)."
  value       = google_cloud_run_v2_service.dagster["webserver"].name
}
