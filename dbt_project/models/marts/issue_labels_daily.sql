{#- How often each label is seen on issue and pull request events, per day. -#}
{{ config(**daily_mart(['day', 'label'])) }}

with labelled as (
    select
        event_day,
        repo_key,
        action,
        labels,
        'issue' as kind
    from {{ ref('stg_gharchive__issues_events') }}
    where {{ in_touched_days('event_day', 'created_at') }}

    union all

    select
        event_day,
        repo_key,
        action,
        labels,
        'pull_request' as kind
    from {{ ref('stg_gharchive__pull_request_events') }}
    where {{ in_touched_days('event_day', 'created_at') }}
)

select
    event_day as day,
    label,
    count(case when kind = 'issue' then 1 end) as issue_events,
    count(case when kind = 'issue' and action = 'opened' then 1 end) as issues_opened,
    count(case when kind = 'pull_request' then 1 end) as pull_request_events,
    count(distinct repo_key) as repos
from labelled
{{ cross_join_unnest('labels', 'label') }}
group by event_day, label
