"""What every part shares: the archive hour, the settings, the partitions, the
pools, and the dbt project per target. Importing one module here imports no
other (the cleaning engine takes archive_hour without Dagster)."""
