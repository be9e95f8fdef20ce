{{ config(**daily_mart(['day', 'event_type'])) }}

select
    event_day as day,
    event_type,
    count(*) as events,
    count(distinct actor_key) as actors,
    count(distinct repo_key) as repos
from {{ ref('int_events__deduped') }}
where {{ in_touched_days('event_day', 'created_at') }}
group by event_day, event_type
