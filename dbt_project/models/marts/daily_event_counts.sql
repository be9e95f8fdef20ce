{{ config(unique_key=mart_unique_key(['day', 'event_type'])) }}

with events as (
    {{ deduped_events() }}
)

select
    event_day as day,
    event_type,
    count(*) as events,
    count(distinct actor_key) as actors,
    count(distinct repo_key) as repos
from events
group by 1, 2
