{{ config(meta={'dagster': {'ref': {'name': 'repo_activity_daily'}}}) }}
-- Events, stars and pushes, summed over repositories, equal the day's.
{{ reconciliation_gaps(
    ref('repo_activity_daily'),
    [
        "sum(events)",
        "sum(stars)",
        "sum(pushes)",
    ],
    ref('int_events__deduped'),
    [
        "count(*)",
        "count(case when event_type = 'WatchEvent' then 1 end)",
        "count(case when event_type = 'PushEvent' then 1 end)",
    ],
    staging_where="repo_key is not null",
) }}
