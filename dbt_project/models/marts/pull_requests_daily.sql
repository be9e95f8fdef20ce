{#- Pull requests per repository and day. Merge time and size come from the
    merging event's payload: null since GitHub trimmed payloads (October 2025). -#}
{{ config(**daily_mart(['day', 'repo_key'])) }}

with pull_requests as (
    select
        *,
        coalesce(action = 'closed' and is_merged, false) as is_merge,
        case
            when action = 'closed' and is_merged and opened_at is not null
                then {{ hours_between('opened_at', 'merged_at') }}
        end as hours_to_merge
    from {{ ref('stg_gharchive__pull_request_events') }}
    where {{ in_touched_days('event_day', 'created_at') }} and repo_key is not null
)

select
    {{ repo_day_columns() }},
    count(case when action = 'opened' then 1 end) as opened,
    count(case when action = 'reopened' then 1 end) as reopened,
    count(case when action = 'closed' then 1 end) as closed,
    {{ known_count("action = 'closed'", 'is_merged', 'is_merged') }} as merged,
    {{ known_count("action = 'closed'", 'is_merged', 'not is_merged') }} as closed_unmerged,
    count(case when action = 'closed' and is_merged is null then 1 end) as closed_merge_unknown,
    avg(hours_to_merge) as avg_hours_to_merge,
    max(hours_to_merge) as max_hours_to_merge,
    sum(case when is_merge then additions end) as merged_additions,
    sum(case when is_merge then deletions end) as merged_deletions,
    sum(case when is_merge then changed_files end) as merged_changed_files
from pull_requests
group by event_day, repo_key
{{- key_order(['event_day', 'repo_key']) }}
