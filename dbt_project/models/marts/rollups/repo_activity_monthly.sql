{#- repo_activity_daily by month: what the dashboard ranks repositories by
    over whole months. -#}
{{ config(**monthly_rollup(['repo_key'])) }}

select
    {{ month_of('day') }} as month,
    repo_key,
    {{ latest_value('repo_name', 'day') }} as repo_name,
    max(day) as last_day,
    count(*) as active_days,
    sum(events) as events,
    sum(stars) as stars,
    sum(forks) as forks,
    sum(pushes) as pushes,
    sum(pull_requests_opened) as pull_requests_opened,
    sum(issues_opened) as issues_opened
from {{ ref('repo_activity_daily') }}
where {{ in_touched_months('day') }}
group by 1, 2
{{- key_order(['month', 'repo_key']) }}
