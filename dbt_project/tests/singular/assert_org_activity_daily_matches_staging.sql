{{ config(meta={'dagster': {'ref': {'name': 'org_activity_daily'}}}) }}
-- Events of organisations equal the events that carry an organisation.
{{ reconciliation_gaps(
    ref('org_activity_daily'),
    [
        "sum(events)",
    ],
    ref('int_events__deduped'),
    [
        "count(*)",
    ],
    staging_where="org_key is not null",
) }}
