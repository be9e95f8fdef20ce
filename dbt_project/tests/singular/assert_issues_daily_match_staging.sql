{{ config(meta={'dagster': {'ref': {'name': 'issues_daily'}}}) }}
-- Issues opened and closed match the events.
{{ reconciliation_gaps(
    ref('issues_daily'),
    [
        "sum(opened)",
        "sum(closed)",
    ],
    ref('stg_gharchive__issues_events'),
    [
        "count(case when action = 'opened' then 1 end)",
        "count(case when action = 'closed' then 1 end)",
    ],
    staging_where="repo_key is not null",
) }}
