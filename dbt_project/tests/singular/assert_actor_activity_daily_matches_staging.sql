{{ config(meta={'dagster': {'ref': {'name': 'actor_activity_daily'}}}) }}
-- Every event with an actor is counted once, under its actor.
{{ reconciliation_gaps(
    ref('actor_activity_daily'),
    [
        "sum(events)",
    ],
    ref('int_events__deduped'),
    [
        "count(*)",
    ],
    staging_where="actor_key is not null",
) }}
