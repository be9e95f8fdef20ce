{{ config(meta={'dagster': {'ref': {'name': 'contributors_daily'}}}) }}
-- Contributions of a day equal its events other than stars and forks.
{{ reconciliation_gaps(
    ref('contributors_daily'),
    [
        "sum(contributions)",
        "sum(pushes)",
    ],
    ref('int_events__deduped'),
    [
        "count(*)",
        "count(case when event_type = 'PushEvent' then 1 end)",
    ],
    staging_where="actor_key is not null and event_type not in ('WatchEvent', 'ForkEvent')",
) }}
