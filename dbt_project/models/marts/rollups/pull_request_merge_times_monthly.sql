{#- The median and 90th percentile of hours to merge per month, over the
    merges whose payload carries the times. Percentiles do not add up, so
    each month's are computed from its merges (pull_request_merges), not
    from its days'. -#}
{{ config(**monthly_rollup([])) }}

select
    {{ month_of('day') }} as month,
    count(hours_to_merge) as merges_with_times,
    {{ percentile('hours_to_merge', 0.5) }} as median_hours,
    {{ percentile('hours_to_merge', 0.9) }} as p90_hours
from {{ ref('pull_request_merges') }}
where {{ in_touched_months('day') }} and hours_to_merge is not null
group by 1
