"""What the cleaner, the two targets and the dbt project agree on.

Plain Python (no Dagster): the lake's paths (``lake_paths``), the columns of a
clean hour and of ``events`` (``events_schema``), and the interfaces a lake
(``lake``) and a warehouse (``warehouse``) implement on either target.
"""
