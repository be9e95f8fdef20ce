{{ config(meta={'dagster': {'ref': {'name': 'dim_actors'}}}) }}
-- Every actor, repository and organisation of the run's days is in its
-- dimension, first seen no later than the event and last seen no earlier.
with events as (
    select *
    from {{ ref('int_events__deduped') }}
    where {{ in_run_days('event_day') if has_window() else 'true' }}
)

select
    'actor' as dimension,
    events.event_id
from events
left join {{ ref('dim_actors') }} as dim on events.actor_key = dim.actor_key
where
    events.actor_key is not null
    and (
        dim.actor_key is null
        or events.created_at < dim.first_seen_at
        or events.created_at > dim.last_seen_at
    )

union all

select
    'repo' as dimension,
    events.event_id
from events
left join {{ ref('dim_repos') }} as dim on events.repo_key = dim.repo_key
where
    events.repo_key is not null
    and (
        dim.repo_key is null
        or events.created_at < dim.first_seen_at
        or events.created_at > dim.last_seen_at
    )

union all

select
    'org' as dimension,
    events.event_id
from events
left join {{ ref('dim_orgs') }} as dim on events.org_key = dim.org_key
where
    events.org_key is not null
    and (
        dim.org_key is null
        or events.created_at < dim.first_seen_at
        or events.created_at > dim.last_seen_at
    )
