# The key that encrypts the cluster's Kubernetes Secrets (the database
# password), made here unless var.secrets_kms_key names one of your own.
resource "google_kms_key_ring" "dagster" {
  count    = var.secrets_kms_key == "" ? 1 : 0
  name     = "gharchive-dagster"
  location = var.region
}

resource "google_kms_crypto_key" "secrets" {
  count           = var.secrets_kms_key == "" ? 1 : 0
  name            = "gke-secrets"
  key_ring        = google_kms_key_ring.dagster[0].id
  rotation_period = "7776000s" # 90 days
  purpose         = "ENCRYPT_DECRYPT"
  labels          = var.labels

  # Destroying the key makes every Secret it encrypted unreadable.
  lifecycle {
    prevent_destroy = true
  }
}

locals {
  secrets_kms_key = var.secrets_kms_key != "" ? var.secrets_kms_key : google_kms_crypto_key.secrets[0].id
}
