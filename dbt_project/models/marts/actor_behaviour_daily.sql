{#- Each actor's pace on each day, and whether it is a bot that day: by its
    name or by its behaviour (the rule: macros/bots.sql). Every daily mart
    takes is_bot from here, so they all agree. -#}
{{ config(**daily_mart(['day', 'actor_key'])) }}

with events as (
    select
        event_day,
        actor_key,
        actor_login,
        created_at,
        event_type
    from {{ ref('int_events__deduped') }}
    where {{ in_touched_days('event_day', 'created_at') }} and actor_key is not null
),

per_hour as (
    select
        event_day,
        actor_key,
        {{ dbt.date_trunc('hour', 'created_at') }} as active_hour,
        count(*) as events,
        count(case when event_type = 'PushEvent' then 1 end) as pushes
    from events
    group by event_day, actor_key, {{ dbt.date_trunc('hour', 'created_at') }}
),

pace as (
    select
        event_day,
        actor_key,
        count(*) as active_hours,
        max(events) as max_events_in_an_hour,
        max(pushes) as max_pushes_in_an_hour
    from per_hour
    group by event_day, actor_key
),

names as (
    select
        event_day,
        actor_key,
        {{ latest_value('actor_login', 'created_at') }} as actor_login,
        count(*) as events
    from events
    group by event_day, actor_key
)

select
    names.event_day as day,
    names.actor_key,
    names.actor_login,
    names.events,
    pace.active_hours,
    pace.max_events_in_an_hour,
    pace.max_pushes_in_an_hour,
    {{ is_bot('names.actor_login') }} as is_bot_by_name,
    {{ acts_like_a_bot('pace.max_pushes_in_an_hour', 'pace.active_hours') }}
        as is_bot_by_behaviour,
    {{ is_bot('names.actor_login') }}
    or {{ acts_like_a_bot('pace.max_pushes_in_an_hour', 'pace.active_hours') }} as is_bot
from names
inner join pace on names.event_day = pace.event_day and names.actor_key = pace.actor_key
