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
    release_tag_name as tag_name
from {{ ref('stg_gharchive__events') }}
where event_type = 'ReleaseEvent'
{{ keep_first_copy() }}
