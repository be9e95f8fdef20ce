{{ config(meta={'dagster': {'ref': {'name': 'bot_share_daily'}}}) }}
-- Bot and human events of a day split the day's distinct events.
{{ reconciliation_gaps(
    ref('bot_share_daily'),
    [
        "sum(bot_events)",
        "sum(human_events)",
    ],
    ref('int_events__deduped'),
    [
        "count(case when is_bot then 1 end)",
        "count(case when not is_bot then 1 end)",
    ],
) }}
