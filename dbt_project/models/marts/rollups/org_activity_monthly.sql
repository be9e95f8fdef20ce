{#- org_activity_daily by month. Distinct actors and repositories do not add
    up over days; their largest day does. -#}
{{ config(**monthly_rollup(['org_key'])) }}

select
    {{ month_of('day') }} as month,
    org_key,
    {{ latest_value('org_login', 'day') }} as org_login,
    max(day) as last_day,
    count(*) as active_days,
    sum(events) as events,
    max(actors) as most_actors_in_a_day,
    max(repos) as most_repos_in_a_day
from {{ ref('org_activity_daily') }}
where {{ in_touched_months('day') }}
group by 1, 2
{{- key_order(['month', 'org_key']) }}
