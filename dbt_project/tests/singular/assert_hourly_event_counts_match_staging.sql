{{ config(meta={'dagster': {'ref': {'name': 'hourly_event_counts'}}}) }}
-- The hours of a day add up to the day's distinct events.
{{ reconciliation_gaps(
    ref('hourly_event_counts'),
    [
        "sum(events)",
    ],
    ref('int_events__deduped'),
    [
        "count(*)",
    ],
) }}
