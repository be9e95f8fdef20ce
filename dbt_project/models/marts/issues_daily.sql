{{ config(**daily_mart(['day', 'repo_key'])) }}

with issue_events as (
    select
        event_day,
        repo_key,
        repo_id,
        repo_name,
        created_at,
        action,
        cast(null as boolean) as is_on_pull_request
    from {{ ref('stg_gharchive__issues_events') }}
    where {{ in_touched_days('event_day', 'created_at') }} and repo_key is not null

    union all

    select
        event_day,
        repo_key,
        repo_id,
        repo_name,
        created_at,
        'commented' as action,
        coalesce(is_on_pull_request, false) as is_on_pull_request
    from {{ ref('stg_gharchive__issue_comment_events') }}
    where {{ in_touched_days('event_day', 'created_at') }} and repo_key is not null
)

select
    {{ repo_day_columns() }},
    count(case when action = 'opened' then 1 end) as opened,
    count(case when action = 'closed' then 1 end) as closed,
    count(case when action = 'reopened' then 1 end) as reopened,
    count(case when action = 'commented' and not is_on_pull_request then 1 end)
        as comments_on_issues,
    count(case when action = 'commented' and is_on_pull_request then 1 end)
        as comments_on_pull_requests
from issue_events
group by event_day, repo_key
{{- key_order(['event_day', 'repo_key']) }}
