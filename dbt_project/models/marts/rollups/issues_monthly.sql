{#- issues_daily by month. -#}
{{ config(**monthly_rollup(['repo_key'])) }}

select
    {{ month_of('day') }} as month,
    repo_key,
    {{ latest_value('repo_name', 'day') }} as repo_name,
    max(day) as last_day,
    sum(opened) as opened,
    sum(closed) as closed,
    sum(comments_on_issues) as comments_on_issues
from {{ ref('issues_daily') }}
where {{ in_touched_months('day') }}
group by 1, 2
{{- key_order(['month', 'repo_key']) }}
