{{ config(meta={'dagster': {'ref': {'name': 'daily_event_counts'}}}) }}
-- Every distinct event is counted once, under its day and type.
{{ reconciliation_gaps(
    ref('daily_event_counts'),
    [
        "sum(events)",
    ],
    ref('int_events__deduped'),
    [
        "count(*)",
    ],
) }}
