terraform {
  required_version = ">= 1.6"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.12"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }

  # Remote state (recommended for a team): create a bucket for state once, by
  # hand, then uncomment and run `terraform init -migrate-state`.
  # backend "gcs" {
  #   bucket = "my-terraform-state"
  #   prefix = "gharchive-assets"
  # }
}

provider "google" {
  project = var.project_id
  region  = var.region
}
