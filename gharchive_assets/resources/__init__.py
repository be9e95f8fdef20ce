"""Where hours come from (``source``: GH Archive over HTTP(S) or a ``file://``
mirror), and the chosen target's set of resources (``targets``: the source, the
lake, the warehouse and dbt)."""
