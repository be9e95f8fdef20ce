{{ config(**daily_mart(['day', 'actor_key', 'event_type'])) }}

select
    event_day as day,
    actor_key,
    max(actor_id) as actor_id,
    {{ latest_value('actor_login', 'created_at') }} as actor_login,
    {{ is_bot(latest_value('actor_login', 'created_at')) }} as is_bot,
    event_type,
    count(*) as events
from {{ ref('int_events__deduped') }}
where {{ in_touched_days('event_day', 'created_at') }} and actor_key is not null
group by event_day, actor_key, event_type
