# Private services access: Cloud SQL's private IP lives in a range of the VPC
# peered with Google's service producer network. Without it the instance cannot
# be created on var.network ("private service networking connection" missing).
resource "google_compute_global_address" "private_services" {
  name          = "gharchive-dagster-private-services"
  purpose       = "VPC_PEERING"
  address_type  = "INTERNAL"
  prefix_length = var.private_services_prefix_length
  network       = var.network
  labels        = var.labels
}

resource "google_service_networking_connection" "private_services" {
  network                 = var.network
  service                 = "servicenetworking.googleapis.com"
  reserved_peering_ranges = [google_compute_global_address.private_services.name]
  # A network that already has a connection (another Cloud SQL, Memorystore)
  # gets this range added to it instead of failing.
  update_on_creation_fail = true
}
