variable "project_id" {
  description = "GCP project of the Dagster home."
  type        = string
}

variable "region" {
  description = "Region of the GKE Autopilot cluster, Cloud SQL, the compute log bucket and the image repository."
  type        = string
}

variable "network" {
  description = "Self link of the VPC network of the cluster and of Cloud SQL's private IP; it needs private services access."
  type        = string
}

variable "subnetwork" {
  description = "Self link of the subnetwork the cluster's nodes and pods use (secondary ranges are created by GKE)."
  type        = string
}

variable "master_ipv4_cidr_block" {
  description = "A /28 for the cluster's control plane, unused elsewhere in the network."
  type        = string
  default     = "172.16.0.32/28"
}

variable "admin_cidr_blocks" {
  description = "CIDR ranges allowed to reach the cluster's control plane (kubectl, helm)."
  type        = list(string)
}

variable "secrets_kms_key" {
  description = "Cloud KMS key that encrypts the cluster's Kubernetes Secrets (the database password); empty: a key ring and key are made here."
  type        = string
  default     = ""
}

variable "private_services_prefix_length" {
  description = "Size of the range reserved in the network for private services access (Cloud SQL's private IP)."
  type        = number
  default     = 16
}

variable "image_tag" {
  description = "Tag of the image built from deploy/Dockerfile and pushed to the repository this module creates."
  type        = string
}

variable "service_account_email" {
  description = "The pipeline's service account: the code server and every run act as it (Workload Identity)."
  type        = string
}

variable "pipeline_environment" {
  description = "GHARCHIVE_* variables of the code server and, through it, of every run."
  type        = map(string)
}

variable "max_concurrent_runs" {
  description = "Runs at once (each a Kubernetes Job with run_cpu and run_memory)."
  type        = number
  default     = 16
}

variable "run_cpu" {
  description = "CPU of each run's pod (Autopilot bills what a pod requests)."
  type        = string
  default     = "2"
}

variable "run_memory" {
  description = "Memory of each run's pod."
  type        = string
  default     = "4Gi"
}

variable "run_retries" {
  description = "How many times a failed run is retried by the daemon."
  type        = number
  default     = 2
}

variable "compute_log_retention_days" {
  description = "Days a step's stdout and stderr are kept."
  type        = number
  default     = 30
}

variable "dagster_chart_version" {
  description = "Version of Dagster's Helm chart, the same as the dagster package (requirements.txt)."
  type        = string
  default     = "1.13.27"
}

variable "database_tier" {
  description = "Cloud SQL machine tier for the Dagster instance's storage."
  type        = string
  default     = "db-custom-1-3840"
}

variable "deletion_protection" {
  description = "Protect the Cloud SQL instance (run history) and the cluster from terraform destroy."
  type        = bool
  default     = true
}

variable "labels" {
  description = "Labels put on every resource that takes them."
  type        = map(string)
  default     = {}
}

variable "database_password_version" {
  description = "Version of the database password: raise it to generate a new one (into Secret Manager and the database user at once)."
  type        = number
  default     = 1
}

variable "busybox_image" {
  description = "The image of the chart's wait-for-the-database init containers, as the Helm values pin it (allowed by Binary Authorization)."
  type        = string
  default     = "docker.io/library/busybox:1.37"
}

variable "github_repository" {
  description = "owner/name of the GitHub repository whose deploy workflow may push the image and upgrade the release through Workload Identity Federation; empty: none may."
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
