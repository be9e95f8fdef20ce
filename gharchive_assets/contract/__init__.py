"""What the cleaner, the two targets and the dbt project agree on.

Plain Python (no Dagster): the columns of a clean hour and of ``events``
(``events_schema``) and the interface a warehouse implements on either target
(``warehouse``). The lake's paths and interface are in ``gharchive_assets.lake``.
"""
