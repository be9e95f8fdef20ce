select
    {{ event_columns() }},
    ref,
    push_size as commits,
    push_distinct_size as distinct_commits
from {{ ref('stg_gharchive__events') }}
where event_type = 'PushEvent'
{{ keep_first_copy() }}
