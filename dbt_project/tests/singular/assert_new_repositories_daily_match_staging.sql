{{ config(meta={'dagster': {'ref': {'name': 'new_repositories_daily'}}}) }}
-- One row per repository created that day.
{{ reconciliation_gaps(
    ref('new_repositories_daily'),
    [
        "count(*)",
    ],
    ref('stg_gharchive__repository_creations'),
    [
        "count(distinct repo_key)",
    ],
    staging_where="repo_key is not null",
) }}
