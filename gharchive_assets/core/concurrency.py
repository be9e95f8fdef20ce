"""What may not run at once, as Dagster concurrency pools.

Downloading and cleaning hours run in as many runs at once as the instance
allows. Two steps write what the same step of another run may be writing, so
each takes a slot of a pool before it starts:

- ``WAREHOUSE_SWAPS``: ``gharchive/events``, an hour's swap into the warehouse.
  DuckDB takes one writer; on BigQuery two swaps into the same day conflict
  (and are retried, see warehouse/bigquery_warehouse.py), so a few at once is
  fine there.
- ``DBT_BUILDS``: the dbt step; two builds would overwrite the same days of
  the same marts.

The limits live in the instance: ``deploy/dagster.*.yaml`` sets every pool to
one slot (``concurrency.pools.default_limit``); raise one with
``dagster instance concurrency set gharchive_warehouse_swaps 4``.
"""

WAREHOUSE_SWAPS = "gharchive_warehouse_swaps"
DBT_BUILDS = "gharchive_dbt_builds"
