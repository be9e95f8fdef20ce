{#- Each UTC day of archive hours: how many were loaded, missing at the
    source or degraded, and the day's capture ratio. Join a mart to it by
    day to say how far to trust that day's figures. -#}

select
    day,
    count(*) as hours_loaded,
    24 - count(*) as hours_not_loaded,
    sum(case when is_missing then 1 else 0 end) as hours_missing_at_source,
    sum(case when is_degraded then 1 else 0 end) as hours_degraded,
    sum(events) as events,
    min(min_event_id) as min_event_id,
    max(max_event_id) as max_event_id,
    cast(sum(distinct_event_ids) as {{ type_double() }})
    / nullif(sum(case when max_event_id is not null then max_event_id - min_event_id + 1 end), 0)
        as capture_ratio,
    sum(case when is_missing or is_degraded then 1 else 0 end) > 0 as is_degraded
from {{ ref('coverage_hourly') }}
group by day
