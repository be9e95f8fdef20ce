variable "project_id" {
  description = "GCP project of the Dagster home."
  type        = string
}

variable "region" {
  description = "Region of the Cloud SQL instance and the Cloud Run services."
  type        = string
}

variable "network" {
  description = "Self link of the VPC network the Cloud SQL instance joins (private IP only); it needs private services access."
  type        = string
}

variable "image" {
  description = "Container image of this repository's code location, with dagster-webserver and dagster-postgres (requirements.txt)."
  type        = string
}

variable "service_account_email" {
  description = "Identity the webserver, the daemon and so the runs use: the pipeline's service account."
  type        = string
}

variable "pipeline_environment" {
  description = "GHARCHIVE_* variables passed to the webserver and the daemon."
  type        = map(string)
}

variable "database_tier" {
  description = "Cloud SQL machine tier for the Dagster instance's storage."
  type        = string
  default     = "db-custom-1-3840"
}

variable "deletion_protection" {
  description = "Protect the Cloud SQL instance (run history) from terraform destroy."
  type        = bool
  default     = true
}

variable "labels" {
  description = "Labels put on every resource that takes them."
  type        = map(string)
  default     = {}
}
