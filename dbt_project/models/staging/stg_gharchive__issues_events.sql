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
    action,
    number as issue_number,
    issue_labels as labels
from {{ ref('stg_gharchive__events') }}
where event_type = 'IssuesEvent'
{{ keep_first_copy() }}
