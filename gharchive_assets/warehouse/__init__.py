"""The warehouse: one home for its interface, its resource and its two engines.

- ``interface``: the ``Warehouse`` interface and the ledger of loaded hours
  both engines keep (no Dagster);
- ``resource``: the Dagster resource's base, with the SQL both engines share;
- ``duckdb_warehouse``: the local target's embedded DuckDB file (and
  ``file_lock``, which queues every process that opens it);
- ``bigquery_warehouse``: the gcp target's BigQuery datasets;
- ``target``: the chosen target's warehouse;
- ``instance_sync``: ledger hours the Dagster instance never recorded.
"""
