select
    {{ event_columns() }},
    number as issue_number,
    comment_on_pull_request as is_on_pull_request
from {{ ref('stg_gharchive__events') }}
where event_type = 'IssueCommentEvent'
{{ keep_first_copy() }}
