# The deploy workflow (.github/workflows/deploy.yml) signs in through Workload
# Identity Federation: GitHub's OIDC token for a job of var.github_repository,
# exchanged for the deploy account's token. No JSON key exists anywhere.
# The provider admits only that repository's jobs that run in its deployment
# environment var.github_environment (GitHub's `sub` claim
# repo:OWNER/NAME:environment:ENV), so the environment's protection rules (which
# branches and tags, which reviewers) decide who deploys; the account trusts
# only that repository's principal set.
locals {
  github_deploys = var.github_repository != ""
  github_owner   = try(split("/", var.github_repository)[0], "")
  github_name    = try(split("/", var.github_repository)[1], "")
}

resource "google_iam_workload_identity_pool" "github" {
  count                     = local.github_deploys ? 1 : 0
  project                   = var.project_id
  workload_identity_pool_id = "github-actions"
  display_name              = "GitHub Actions"
  description               = "The deploy workflow of ${var.github_repository}"
}

resource "google_iam_workload_identity_pool_provider" "github" {
  count                              = local.github_deploys ? 1 : 0
  project                            = var.project_id
  workload_identity_pool_id          = google_iam_workload_identity_pool.github[0].workload_identity_pool_id
  workload_identity_pool_provider_id = "github-oidc"
  display_name                       = "GitHub OIDC"
  attribute_mapping = {
    "google.subject"       = "assertion.sub"
    "attribute.repository" = "assertion.repository"
    "attribute.ref"        = "assertion.ref"
  }
  # Tokens of any other repository, or of a job outside the environment, are
  # refused at the exchange.
  attribute_condition = "assertion.sub == 'repo:${local.github_owner}/${local.github_name}:environment:${var.github_environment}'"
  oidc {
    issuer_uri = "https://token.actions.githubusercontent.com"
  }
}

resource "google_service_account" "github_deploy" {
  count        = local.github_deploys ? 1 : 0
  project      = var.project_id
  account_id   = "gharchive-deploy"
  display_name = "gharchive deploy workflow (GitHub Actions)"
}

resource "google_service_account_iam_member" "github_deploy_federation" {
  count              = local.github_deploys ? 1 : 0
  service_account_id = google_service_account.github_deploy[0].name
  role               = "roles/iam.workloadIdentityUser"
  member             = "principalSet://iam.googleapis.com/${google_iam_workload_identity_pool.github[0].name}/attribute.repository/${var.github_repository}"
}

# Push the image: this repository only.
resource "google_artifact_registry_repository_iam_member" "github_deploy_pushes" {
  count      = local.github_deploys ? 1 : 0
  project    = var.project_id
  location   = google_artifact_registry_repository.images.location
  repository = google_artifact_registry_repository.images.name
  role       = "roles/artifactregistry.writer"
  member     = "serviceAccount:${google_service_account.github_deploy[0].email}"
}

# helm upgrade: the cluster's credentials and its Kubernetes objects (no
# cluster administration, no IAM).
resource "google_project_iam_member" "github_deploy_upgrades" {
  count   = local.github_deploys ? 1 : 0
  project = var.project_id
  role    = "roles/container.developer"
  member  = "serviceAccount:${google_service_account.github_deploy[0].email}"
}
