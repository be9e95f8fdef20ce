{#- pull_requests_daily by month. -#}
{{ config(**monthly_rollup(['repo_key'])) }}

select
    {{ month_of('day') }} as month,
    repo_key,
    {{ latest_value('repo_name', 'day') }} as repo_name,
    max(day) as last_day,
    sum(opened) as opened,
    sum(merged) as merged,
    sum(closed) as closed,
    sum(closed_merge_unknown) as closed_merge_unknown
from {{ ref('pull_requests_daily') }}
where {{ in_touched_months('day') }}
group by 1, 2
{{- key_order(['month', 'repo_key']) }}
