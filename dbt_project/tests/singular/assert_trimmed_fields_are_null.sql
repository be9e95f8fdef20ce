{{ config(meta={'dagster': {'ref': {'name': 'pull_requests_daily'}}}) }}
-- Figures read from payload fields GitHub trimmed in October 2025 (push sizes,
-- merged flags, pull request sizes) are NULL, never 0, where every event they
-- read lacks the field: a row per mart row that says 0 (or any number) instead.
with pull_requests as (
    select
        event_day as day,
        repo_key,
        count(case when action = 'closed' then 1 end) as closed,
        count(case when action = 'closed' and is_merged is not null then 1 end) as closed_known,
        count(case when action = 'closed' and is_merged then 1 end) as merged
    from {{ ref('stg_gharchive__pull_request_events') }}
    where {{ in_days('event_day', 'created_at') }} and repo_key is not null
    group by event_day, repo_key
),

actors as (
    select
        event_day as day,
        actor_key,
        count(case when event_type = 'PushEvent' then 1 end) as pushes,
        count(case when event_type = 'PushEvent' and push_size is not null then 1 end)
            as pushes_known,
        count(case when event_type = 'PullRequestEvent' and action = 'closed' then 1 end)
            as closed,
        count(
            case when event_type = 'PullRequestEvent' and action = 'closed' and pr_merged is not null then 1 end
        ) as closed_known
    from {{ ref('int_events__deduped') }}
    where {{ in_days('event_day', 'created_at') }} and actor_key is not null
    group by event_day, actor_key
)

select
    'pull_requests_daily' as mart,
    mart.day,
    mart.repo_key as row_key
from {{ ref('pull_requests_daily') }} as mart
inner join pull_requests as events
    on mart.day = events.day and mart.repo_key = events.repo_key
where
    {{ in_days('mart.day') }}
    and events.closed > 0
    and events.closed_known = 0
    and (
        mart.merged is not null
        or mart.closed_unmerged is not null
        or mart.merged_additions is not null
        or mart.merged_deletions is not null
        or mart.merged_changed_files is not null
        or mart.avg_hours_to_merge is not null
    )

union all

select
    'contributors_daily' as mart,
    mart.day,
    mart.actor_key as row_key
from {{ ref('contributors_daily') }} as mart
inner join actors as events
    on mart.day = events.day and mart.actor_key = events.actor_key
where
    {{ in_days('mart.day') }}
    and (
        (events.pushes > 0 and events.pushes_known = 0 and mart.commits_pushed is not null)
        or (
            events.closed > 0 and events.closed_known = 0
            and mart.pull_requests_merged is not null
        )
    )
