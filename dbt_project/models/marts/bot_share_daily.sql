{{ config(**daily_mart(['day', 'event_type'])) }}

select
    event_day as day,
    event_type,
    count(case when is_bot then 1 end) as bot_events,
    count(case when not is_bot then 1 end) as human_events,
    count(case when is_bot then 1 end) / count(*) as bot_share
from {{ ref('int_events__deduped') }}
where {{ in_touched_days('event_day', 'created_at') }}
group by event_day, event_type
