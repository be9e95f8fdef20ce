select
    {{ event_columns() }},
    action,
    number as pull_request_number,
    pr_created_at as opened_at,
    pr_merged as is_merged,
    pr_merged_at as merged_at,
    pr_additions as additions,
    pr_deletions as deletions,
    pr_changed_files as changed_files,
    issue_labels as labels
from {{ ref('stg_gharchive__events') }}
where event_type = 'PullRequestEvent'
{{ keep_first_copy() }}
