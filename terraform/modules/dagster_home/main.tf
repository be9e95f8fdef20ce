terraform {
  required_providers {
    google = {
      source = "hashicorp/google"
    }
    random = {
      source = "hashicorp/random"
    }
  }
}

# The Dagster instance's storage: run history, event logs, schedules and sensors.
resource "google_sql_database_instance" "dagster" {
  #checkov:skip=CKV_GCP_6:Every connection must use TLS (ssl_mode ENCRYPTED_ONLY) over the private IP; client certificates would need the Cloud SQL connector, which dagster-postgres (psycopg2) does not use.
  name                = "gharchive-dagster"
  region              = var.region
  database_version    = "POSTGRES_18"
  deletion_protection = var.deletion_protection

  # A private IP needs the network's private services access (private_services.tf).
  depends_on = [google_service_networking_connection.private_services]

  settings {
    # PostgreSQL 16 and later default to ENTERPRISE_PLUS, which refuses every
    # db-custom-* tier ("Invalid Tier ... for (ENTERPRISE_PLUS) Edition").
    edition           = "ENTERPRISE"
    tier              = var.database_tier
    availability_type = "ZONAL"
    user_labels       = var.labels

    backup_configuration {
      enabled                        = true
      point_in_time_recovery_enabled = true
    }

    ip_configuration {
      ipv4_enabled    = false
      private_network = var.network
      ssl_mode        = "ENCRYPTED_ONLY"
    }

    database_flags {
      name  = "log_checkpoints"
      value = "on"
    }
    database_flags {
      name  = "log_connections"
      value = "on"
    }
    database_flags {
      name  = "log_disconnections"
      value = "on"
    }
    database_flags {
      name  = "log_lock_waits"
      value = "on"
    }
    database_flags {
      name  = "log_min_messages"
      value = "error"
    }
    database_flags {
      name  = "log_temp_files"
      value = "0"
    }
    database_flags {
      name  = "log_min_duration_statement"
      value = "-1"
    }
    database_flags {
      name  = "cloudsql.enable_pgaudit"
      value = "on"
    }
    database_flags {
      name  = "log_statement"
      value = "ddl"
    }
    database_flags {
      name  = "log_duration"
      value = "on"
    }
    database_flags {
      name  = "log_hostname"
      value = "on"
    }
    database_flags {
      name  = "log_min_error_statement"
      value = "error"
    }
  }
}

resource "google_sql_database" "dagster" {
  name     = "dagster"
  instance = google_sql_database_instance.dagster.name
}

# The database password lives only in Secret Manager: it is generated for one
# apply (an ephemeral value) and written to the secret and to the database user
# through write-only arguments, so terraform's state never holds it. Raise
# database_password_version to rotate it. The operator copies it into the
# Kubernetes Secret the chart reads (docs/gcp.md's checklist).
ephemeral "random_password" "dagster" {
  length  = 32
  special = false
}

resource "google_secret_manager_secret" "database_password" {
  secret_id = "gharchive-dagster-database-password"
  labels    = var.labels

  replication {
    user_managed {
      replicas {
        location = var.region
      }
    }
  }
}

resource "google_secret_manager_secret_version" "database_password" {
  secret                 = google_secret_manager_secret.database_password.id
  secret_data_wo         = ephemeral.random_password.dagster.result
  secret_data_wo_version = var.database_password_version
}

resource "google_sql_user" "dagster" {
  name                = "dagster"
  instance            = google_sql_database_instance.dagster.name
  password_wo         = ephemeral.random_password.dagster.result
  password_wo_version = var.database_password_version
}
