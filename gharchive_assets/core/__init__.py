"""What the code location, the command line and the instance share: the
settings and the settings files they are read from (local_env), the
partitions, the pools, the dbt project per target, and the concise console
log. The cleaning engine imports none of it."""
