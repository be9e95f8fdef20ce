{{ config(meta={'dagster': {'ref': {'name': 'repo_popularity_daily'}}}) }}
-- Stars and forks, summed over repositories, equal the day's events.
{{ reconciliation_gaps(
    ref('repo_popularity_daily'),
    [
        "sum(stars)",
        "sum(forks)",
    ],
    ref('int_events__deduped'),
    [
        "count(case when event_type = 'WatchEvent' then 1 end)",
        "count(case when event_type = 'ForkEvent' then 1 end)",
    ],
    staging_where="repo_key is not null",
) }}
