select
    {{ event_columns() }},
    action,
    release_tag_name as tag_name
from {{ ref('stg_gharchive__events') }}
where event_type = 'ReleaseEvent'
{{ keep_first_copy() }}
