{{ config(**daily_mart(['day', 'actor_key', 'event_type'])) }}

with activity as (
    select
        event_day as day,
        actor_key,
        max(actor_id) as actor_id,
        {{ latest_value('actor_login', 'created_at') }} as actor_login,
        event_type,
        count(*) as events
    from {{ ref('int_events__deduped') }}
    where {{ in_touched_days('event_day', 'created_at') }} and actor_key is not null
    group by event_day, actor_key, event_type
),

behaviour as (
    {{ bot_flags_of_touched_days() }}
)

select
    activity.day,
    activity.actor_key,
    activity.actor_id,
    activity.actor_login,
    behaviour.is_bot,
    activity.event_type,
    activity.events
from activity
inner join behaviour on activity.day = behaviour.day and activity.actor_key = behaviour.actor_key
