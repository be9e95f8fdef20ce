{{ config(unique_key=mart_unique_key(['day', 'event_type'])) }}

with events as (
    {{ deduped_events() }}
)

select
    event_day as day,
    event_type,
    count(case when is_bot then 1 end) as bot_events,
    count(case when not is_bot then 1 end) as human_events,
    count(case when is_bot then 1 end) / count(*) as bot_share
from events
group by 1, 2
