{#- coverage_daily by month: days and hours loaded, missing at the source and
    degraded, for charts over years. -#}

select
    {{ month_of('day') }} as month,
    count(*) as days_loaded,
    sum(hours_loaded) as hours_loaded,
    sum(hours_missing_at_source) as hours_missing_at_source,
    sum(hours_degraded) as hours_degraded,
    sum(case when is_degraded then 1 else 0 end) as days_degraded,
    sum(events) as events
from {{ ref('coverage_daily') }}
group by 1
