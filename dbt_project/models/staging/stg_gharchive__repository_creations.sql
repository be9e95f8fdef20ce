{#- CreateEvents of a whole repository (not of a branch or a tag). -#}
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
    org_key,
    org_login
from {{ ref('stg_gharchive__events') }}
where event_type = 'CreateEvent' and ref_type = 'repository'
{{ keep_first_copy() }}
