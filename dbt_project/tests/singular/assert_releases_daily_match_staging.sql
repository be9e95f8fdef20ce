{{ config(meta={'dagster': {'ref': {'name': 'releases_daily'}}}) }}
-- Every release event is counted once, under its repository.
{{ reconciliation_gaps(
    ref('releases_daily'),
    [
        "sum(releases)",
    ],
    ref('stg_gharchive__release_events'),
    [
        "count(*)",
    ],
    staging_where="repo_key is not null",
) }}
