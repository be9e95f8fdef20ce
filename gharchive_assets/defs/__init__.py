"""The code location's stages, one module each, in the order data flows:
``lake`` (raw and clean hours), ``events`` (the warehouse table),
``analytics`` (the dbt models), ``report`` (the daily HTML report),
``automation`` (jobs, schedules, sensors), and ``resources`` (every resource,
assembled for the chosen target). Each gives a function from ``Settings`` to
``dg.Definitions``; ``definitions.build_definitions`` merges them.
"""
