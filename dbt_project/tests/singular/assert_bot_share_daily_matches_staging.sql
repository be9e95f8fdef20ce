{{ config(meta={'dagster': {'ref': {'name': 'bot_share_daily'}}}) }}
-- Bot and human events of a day split the day's distinct events; the bots'
-- are those of the actors that actor_behaviour_daily calls bots that day.
-- depends_on: {{ ref('actor_behaviour_daily') }}
{% set events_with_bot_flag %}
(
    select
        events.event_day,
        events.created_at,
        coalesce(behaviour.is_bot, false) as is_bot
    from {{ ref('int_events__deduped') }} as events
    left join (
        select
            day,
            actor_key,
            is_bot
        from {{ ref('actor_behaviour_daily') }}
        where {{ in_days('day') }}
    ) as behaviour
        on events.event_day = behaviour.day and events.actor_key = behaviour.actor_key
    where
        {{ in_days('events.event_day', 'events.created_at') }}
) as events_with_bot_flag
{% endset %}
{{ reconciliation_gaps(
    ref('bot_share_daily'),
    [
        "sum(bot_events)",
        "sum(human_events)",
    ],
    events_with_bot_flag,
    [
        "count(case when is_bot then 1 end)",
        "count(case when not is_bot then 1 end)",
    ],
) }}
