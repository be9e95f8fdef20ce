{#- releases_daily by month, with the month's latest tag. -#}
{{ config(**monthly_rollup(['repo_key'])) }}

select
    {{ month_of('day') }} as month,
    repo_key,
    {{ latest_value('repo_name', 'day') }} as repo_name,
    max(day) as last_day,
    sum(releases) as releases,
    {{ latest_value('latest_tag', 'day') }} as latest_tag
from {{ ref('releases_daily') }}
where {{ in_touched_months('day') }}
group by 1, 2
{{- key_order(['month', 'repo_key']) }}
