{#- contributors_daily by month, with an actor's bot days apart from their
    other days (is_bot is per day), so "without bots" is as exact over months
    as over days. -#}
{{ config(**monthly_rollup(['actor_key', 'is_bot'])) }}

select
    {{ month_of('day') }} as month,
    actor_key,
    is_bot,
    {{ latest_value('actor_login', 'day') }} as actor_login,
    max(day) as last_day,
    count(*) as active_days,
    sum(contributions) as contributions,
    sum(pushes) as pushes,
    sum(pull_requests_opened) as pull_requests_opened,
    sum(pull_request_reviews) as pull_request_reviews,
    sum(issues_opened) as issues_opened,
    sum(comments) as comments
from {{ ref('contributors_daily') }}
where {{ in_touched_months('day') }}
group by 1, 2, 3
{{- key_order(['month', 'actor_key', 'is_bot']) }}
