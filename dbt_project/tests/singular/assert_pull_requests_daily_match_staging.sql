{{ config(meta={'dagster': {'ref': {'name': 'pull_requests_daily'}}}) }}
-- Pull requests opened, closed and merged match the events.
{{ reconciliation_gaps(
    ref('pull_requests_daily'),
    [
        "sum(opened)",
        "sum(closed)",
        "sum(merged)",
    ],
    ref('stg_gharchive__pull_request_events'),
    [
        "count(case when action = 'opened' then 1 end)",
        "count(case when action = 'closed' then 1 end)",
        "count(case when action = 'closed' and is_merged then 1 end)",
    ],
    staging_where="repo_key is not null",
) }}
