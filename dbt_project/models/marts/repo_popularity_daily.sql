{#- Repositories starred or forked on a day, ranked by each. -#}
{{ config(**daily_mart(['day', 'repo_key'])) }}

with per_repo as (
    select
        {{ repo_day_columns() }},
        count(case when event_type = 'WatchEvent' then 1 end) as stars,
        count(case when event_type = 'ForkEvent' then 1 end) as forks
    from {{ ref('int_events__deduped') }}
    where
        {{ in_touched_days('event_day', 'created_at') }}
        and repo_key is not null
        and event_type in ('WatchEvent', 'ForkEvent')
    group by event_day, repo_key
)

select
    *,
    rank() over (partition by day order by stars desc) as star_rank,
    rank() over (partition by day order by forks desc) as fork_rank
from per_repo
