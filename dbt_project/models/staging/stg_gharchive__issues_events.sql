select
    {{ event_columns() }},
    action,
    number as issue_number,
    issue_labels as labels
from {{ ref('stg_gharchive__events') }}
where event_type = 'IssuesEvent'
{{ keep_first_copy() }}
