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

  settings {
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

resource "random_password" "dagster" {
  length  = 32
  special = false
}

resource "google_sql_user" "dagster" {
  name     = "dagster"
  instance = google_sql_database_instance.dagster.name
  password = random_password.dagster.result
}

# The password lives in Secret Manager; the services read it at start.
resource "google_secret_manager_secret" "dagster_pg_password" {
  secret_id = "gharchive-dagster-pg-password"
  labels    = var.labels
  replication {
    auto {}
  }
}

resource "google_secret_manager_secret_version" "dagster_pg_password" {
  secret      = google_secret_manager_secret.dagster_pg_password.id
  secret_data = random_password.dagster.result
}

resource "google_secret_manager_secret_iam_member" "read_password" {
  secret_id = google_secret_manager_secret.dagster_pg_password.id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${var.service_account_email}"
}

# Connecting to Cloud SQL is granted on the project: there is no narrower scope.
resource "google_project_iam_member" "cloudsql_client" {
  project = var.project_id
  role    = "roles/cloudsql.client"
  member  = "serviceAccount:${var.service_account_email}"
}

locals {
  dagster_environment = merge(var.pipeline_environment, {
    DAGSTER_HOME    = "/opt/dagster/home"
    DAGSTER_PG_HOST = google_sql_database_instance.dagster.private_ip_address
    DAGSTER_PG_USER = google_sql_user.dagster.name
    DAGSTER_PG_DB   = google_sql_database.dagster.name
  })
  services = {
    webserver = ["dagster-webserver", "-h", "0.0.0.0", "-p", "8080", "-w", "workspace.yaml"]
    daemon    = ["dagster-daemon", "run", "-w", "workspace.yaml"]
  }
}

# The webserver (UI) and the daemon (schedules, sensors, backfills, run queue).
# Internal ingress only: reach the UI through IAP or a VPN, never the internet.
resource "google_cloud_run_v2_service" "dagster" {
  for_each = local.services

  name                = "gharchive-dagster-${each.key}"
  location            = var.region
  ingress             = "INGRESS_TRAFFIC_INTERNAL_ONLY"
  deletion_protection = false
  labels              = var.labels

  template {
    service_account = var.service_account_email
    scaling {
      min_instance_count = 1
      max_instance_count = 1
    }
    vpc_access {
      network_interfaces {
        network = var.network
      }
      egress = "PRIVATE_RANGES_ONLY"
    }
    containers {
      image   = var.image
      command = each.value
      resources {
        cpu_idle = false
        limits = {
          cpu    = "2"
          memory = "4Gi"
        }
      }
      dynamic "env" {
        for_each = local.dagster_environment
        content {
          name  = env.key
          value = env.value
        }
      }
      env {
        name = "DAGSTER_PG_PASSWORD"
        value_source {
          secret_key_ref {
            secret  = google_secret_manager_secret.dagster_pg_password.secret_id
            version = "latest"
          }
        }
      }
    }
  }
}
