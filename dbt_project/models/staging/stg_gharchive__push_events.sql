select
    event_id,
    created_at,
    event_day,
    archive_hour,
    actor_key,
    actor_login,
    is_bot,
    repo_key,
    repo_name,
    ref,
    push_size as commits,
    push_distinct_size as distinct_commits
from {{ ref('stg_gharchive__events') }}
where event_type = 'PushEvent'
{{ keep_first_copy() }}
