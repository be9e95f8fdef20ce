{#- Events by bots and by everyone else; an actor is a bot on a day by name
    or by its behaviour that day (actor_behaviour_daily). Events without an
    actor count as people's. -#}
{{ config(**daily_mart(['day', 'event_type'])) }}

with behaviour as (
    {{ bot_flags_of_touched_days() }}
),

events as (
    select
        events.event_day,
        events.event_type,
        coalesce(behaviour.is_bot, false) as is_bot
    from {{ ref('int_events__deduped') }} as events
    left join behaviour
        on events.event_day = behaviour.day and events.actor_key = behaviour.actor_key
    where {{ in_touched_days('events.event_day', 'events.created_at') }}
)

select
    event_day as day,
    event_type,
    count(case when is_bot then 1 end) as bot_events,
    count(case when not is_bot then 1 end) as human_events,
    count(case when is_bot then 1 end) / count(*) as bot_share
from events
group by event_day, event_type
