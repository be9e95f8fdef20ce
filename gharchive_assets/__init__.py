"""GH Archive as Dagster software-defined assets."""
