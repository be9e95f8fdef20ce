{#- Repositories created on a day (CreateEvent of ref_type repository). -#}
{{ config(**daily_mart(['day', 'repo_key'])) }}

select
    {{ repo_day_columns() }},
    min(created_at) as created_at,
    {{ latest_value('actor_login', 'created_at') }} as created_by,
    max(org_login) as org_login
from {{ ref('stg_gharchive__repository_creations') }}
where {{ in_touched_days('event_day', 'created_at') }} and repo_key is not null
group by event_day, repo_key
