terraform {
  # 1.11: write-only arguments and ephemeral values keep the database password
  # out of the state (modules/dagster_home).
  required_version = ">= 1.11"

  required_providers {
    # 6.48: google_artifact_registry_repository's registry_uri (the image
    # repository's address in the Binary Authorization policy and the Helm values).
    google = {
      source  = "hashicorp/google"
      version = "~> 6.48"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.7"
    }
  }

  # The state lives in a GCS bucket of its own (versioned, made once by hand:
  # docs/gcp.md), never on a laptop; its name is given at init:
  #   terraform init -backend-config="bucket=PROJECT-terraform-state"
  backend "gcs" {
    prefix = "gharchive-assets"
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}
