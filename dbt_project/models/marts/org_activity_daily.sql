{{ config(**daily_mart(['day', 'org_key'])) }}

with per_org as (
    select
        event_day as day,
        org_key,
        max(org_id) as org_id,
        {{ latest_value('org_login', 'created_at') }} as org_login,
        count(*) as events,
        count(distinct actor_key) as actors,
        count(distinct repo_key) as repos
    from {{ ref('int_events__deduped') }}
    where {{ in_touched_days('event_day', 'created_at') }} and org_key is not null
    group by event_day, org_key
)

select
    *,
    rank() over (partition by day order by events desc) as rank_by_events
from per_org
{{- key_order(['day', 'org_key']) }}
