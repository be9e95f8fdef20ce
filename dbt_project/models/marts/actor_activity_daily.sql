{{ config(unique_key='day') }}

with events as (
    {{ deduped_events() }}
)

select
    event_day as day,
    max(actor_id) as actor_id,
    {{ latest_value('actor_login', 'created_at') }} as actor_login,
    {{ is_bot(latest_value('actor_login', 'created_at')) }} as is_bot,
    event_type,
    count(*) as events
from events
where actor_key is not null
group by event_day, actor_key, event_type
