{#- Every merged pull request once, on the day of the event that merged it,
    with its time to merge: what the dashboard's median and 90th percentile
    are taken over (a daily average cannot give them). The time and the sizes
    are null since GitHub trimmed payloads (October 2025). -#}
{{ config(**daily_mart(['day', 'repo_key'])) }}

select
    event_day as day,
    repo_key,
    repo_name,
    pull_request_number,
    created_at as merged_event_at,
    case
        when opened_at is not null
            then {{ hours_between('opened_at', 'merged_at') }}
    end as hours_to_merge,
    additions,
    deletions
from {{ ref('stg_gharchive__pull_request_events') }}
where
    {{ in_touched_days('event_day', 'created_at') }}
    and repo_key is not null
    and action = 'closed'
    and is_merged
