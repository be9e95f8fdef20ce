"""What the cleaner, the two targets and the dbt project agree on: an archive
hour and its partition key (``archive_hour``), and the columns of a clean hour
and of ``events`` (``events_schema``). Plain Python, no Dagster.

The lake's paths and interface are in ``gharchive_assets.lake``, the
warehouse's in ``gharchive_assets.warehouse``.
"""
