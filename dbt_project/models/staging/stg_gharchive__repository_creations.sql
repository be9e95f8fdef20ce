{#- CreateEvents of a whole repository (not of a branch or a tag). -#}
select
    {{ event_columns() }},
    org_key,
    org_login
from {{ ref('stg_gharchive__events') }}
where event_type = 'CreateEvent' and ref_type = 'repository'
{{ keep_first_copy() }}
