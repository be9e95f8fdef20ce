variable "project_id" {
  description = "GCP project that holds the lake, the datasets and the pipeline's service account."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a GCP project id: 6-30 lowercase letters, digits or hyphens."
  }
}

variable "region" {
  description = "Default region for regional resources."
  type        = string
  default     = "us-central1"
}

variable "location" {
  description = "Location of the bucket and the BigQuery datasets (a multi-region such as US or EU, or a region); they must match for load jobs."
  type        = string
  default     = "US"
  validation {
    condition     = length(var.location) > 1
    error_message = "location must be a GCS/BigQuery location such as US, EU or us-central1."
  }
}

variable "bucket_name" {
  description = "Globally unique name of the lake bucket (GHARCHIVE_GCS_BUCKET)."
  type        = string
  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be 3-63 lowercase letters, digits, dots, hyphens or underscores."
  }
}

variable "events_dataset" {
  description = "BigQuery dataset for the events table (GHARCHIVE_BQ_DATASET)."
  type        = string
  default     = "gharchive"
  validation {
    condition     = can(regex("^[A-Za-z0-9_]{1,1024}$", var.events_dataset))
    error_message = "events_dataset may hold letters, digits and underscores only."
  }
}

variable "analytics_dataset" {
  description = "BigQuery dataset for the dbt models (GHARCHIVE_BQ_ANALYTICS_DATASET)."
  type        = string
  default     = "analytics"
  validation {
    condition     = can(regex("^[A-Za-z0-9_]{1,1024}$", var.analytics_dataset))
    error_message = "analytics_dataset may hold letters, digits and underscores only."
  }
}

variable "raw_coldline_after_days" {
  description = "Move raw archive files to COLDLINE storage this many days after upload."
  type        = number
  default     = 30
  validation {
    condition     = var.raw_coldline_after_days >= 1
    error_message = "raw_coldline_after_days must be at least 1."
  }
}

variable "quarantine_retention_days" {
  description = "Delete quarantined lines this many days after they were written."
  type        = number
  default     = 90
  validation {
    condition     = var.quarantine_retention_days >= 1
    error_message = "quarantine_retention_days must be at least 1."
  }
}

variable "reports_retention_days" {
  description = "Delete rendered reports this many days after they were written."
  type        = number
  default     = 30
  validation {
    condition     = var.reports_retention_days >= 1
    error_message = "reports_retention_days must be at least 1."
  }
}

variable "noncurrent_version_retention_days" {
  description = "Keep overwritten versions of lake objects (versioning) this many days."
  type        = number
  default     = 14
  validation {
    condition     = var.noncurrent_version_retention_days >= 1
    error_message = "noncurrent_version_retention_days must be at least 1."
  }
}

variable "analysts_group" {
  description = "Google group (e.g. data-analysts@example.com) given read access to the analytics dataset; empty for none."
  type        = string
  default     = ""
  validation {
    condition     = var.analysts_group == "" || can(regex("^[^@ ]+@[^@ ]+$", var.analysts_group))
    error_message = "analysts_group must be an email address of a Google group, or empty."
  }
}

variable "labels" {
  description = "Labels put on every resource that takes them."
  type        = map(string)
  default = {
    app        = "gharchive-assets"
    managed-by = "terraform"
  }
}

variable "enable_dagster_home" {
  description = "Also run Dagster itself on GCP: GKE Autopilot with Dagster's Helm chart, Cloud SQL storage (see README)."
  type        = bool
  default     = false
}

variable "dagster_image_tag" {
  description = "Tag of the image built from deploy/Dockerfile (with enable_dagster_home)."
  type        = string
  default     = ""
}

variable "dagster_network" {
  description = "Self link of the VPC network of the cluster and of Cloud SQL's private IP (with enable_dagster_home)."
  type        = string
  default     = ""
}

variable "dagster_subnetwork" {
  description = "Self link of the subnetwork of the cluster's nodes and pods (with enable_dagster_home)."
  type        = string
  default     = ""
}

variable "dagster_admin_cidr_blocks" {
  description = "CIDR ranges allowed to reach the cluster's control plane (with enable_dagster_home)."
  type        = list(string)
  default     = []
}

variable "dagster_secrets_kms_key" {
  description = "Cloud KMS key encrypting the cluster's Kubernetes Secrets (with enable_dagster_home); empty: terraform makes a key ring and key in the region."
  type        = string
  default     = ""
}

variable "dagster_max_concurrent_runs" {
  description = "Runs at once on the cluster, each a Kubernetes Job (with enable_dagster_home)."
  type        = number
  default     = 16
}

variable "github_repository" {
  description = "owner/name of the GitHub repository whose deploy workflow (.github/workflows/deploy.yml) may push the image and upgrade Dagster through Workload Identity Federation, with enable_dagster_home; empty: none may."
  type        = string
  default     = ""
  validation {
    condition     = var.github_repository == "" || can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository is owner/name, e.g. my-org/gharchive_assets."
  }
}

variable "github_environment" {
  description = "The GitHub deployment environment the deploy workflow's job runs in; only its jobs may deploy (set its protection rules in the repository's settings)."
  type        = string
  default     = "production"
  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+$", var.github_environment))
    error_message = "github_environment is one environment name, e.g. production."
  }
}
