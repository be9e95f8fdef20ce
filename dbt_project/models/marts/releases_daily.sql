{{ config(unique_key=mart_unique_key(['day', 'repo_key'])) }}

select
    event_day as day,
    repo_key,
    max(repo_id) as repo_id,
    {{ latest_value('repo_name', 'created_at') }} as repo_name,
    count(*) as releases,
    count(distinct tag_name) as tags,
    {{ latest_value('tag_name', 'created_at') }} as latest_tag
from {{ ref('stg_gharchive__release_events') }}
where {{ in_touched_days('event_day') }} and repo_key is not null
group by event_day, repo_key
