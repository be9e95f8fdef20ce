select
    event_id,
    created_at,
    event_day,
    archive_hour,
    actor_key,
    actor_login,
    is_bot,
    repo_key,
    repo_id,
    repo_name,
    number as issue_number,
    comment_on_pull_request as is_on_pull_request
from {{ ref('stg_gharchive__events') }}
where event_type = 'IssueCommentEvent'
{{ keep_first_copy() }}
