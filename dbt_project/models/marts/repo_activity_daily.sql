{{ config(**daily_mart(['day', 'repo_key'])) }}

select
    {{ repo_day_columns() }},
    count(*) as events,
    count(case when event_type = 'WatchEvent' then 1 end) as stars,
    count(case when event_type = 'ForkEvent' then 1 end) as forks,
    count(case when event_type = 'PushEvent' then 1 end) as pushes,
    count(case when event_type = 'PullRequestEvent' and action = 'opened' then 1 end)
        as pull_requests_opened,
    count(case when event_type = 'IssuesEvent' and action = 'opened' then 1 end)
        as issues_opened
from {{ ref('int_events__deduped') }}
where {{ in_touched_days('event_day', 'created_at') }} and repo_key is not null
group by event_day, repo_key
{{- key_order(['event_day', 'repo_key']) }}
