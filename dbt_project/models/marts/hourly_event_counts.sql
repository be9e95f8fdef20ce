{#- The "last hours" view: events per hour of created_at and event type. -#}
{{ config(**daily_mart(['hour', 'event_type'])) }}

select
    event_day as day,
    {{ dbt.date_trunc('hour', 'created_at') }} as hour,
    event_type,
    count(*) as events,
    count(distinct actor_key) as actors,
    count(distinct repo_key) as repos
from {{ ref('int_events__deduped') }}
where {{ in_touched_days('event_day', 'created_at') }}
group by event_day, {{ dbt.date_trunc('hour', 'created_at') }}, event_type
