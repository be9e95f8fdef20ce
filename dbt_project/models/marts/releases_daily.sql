{{ config(**daily_mart(['day', 'repo_key'])) }}

select
    {{ repo_day_columns() }},
    count(*) as releases,
    count(distinct tag_name) as tags,
    {{ latest_value('tag_name', 'created_at') }} as latest_tag
from {{ ref('stg_gharchive__release_events') }}
where {{ in_touched_days('event_day', 'created_at') }} and repo_key is not null
group by event_day, repo_key
{{- key_order(['event_day', 'repo_key']) }}
