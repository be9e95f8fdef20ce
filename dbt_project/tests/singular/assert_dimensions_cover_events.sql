{{ config(meta={'dagster': {'ref': {'name': 'dim_actors'}}}) }}
-- Every actor, repository and organisation of the run's days is in its
-- dimension, first seen no later than the event and last seen no earlier.
with events as (
    select *
    from {{ ref('int_events__deduped') }}
    where {{ in_days('event_day', 'created_at') }}
)

{% for dimension, key in [('dim_actors', 'actor_key'), ('dim_repos', 'repo_key'), ('dim_orgs', 'org_key')] %}
    select
        '{{ dimension }}' as dimension,
        events.event_id
    from events
    left join {{ ref(dimension) }} as dim on events.{{ key }} = dim.{{ key }}
    where
        events.{{ key }} is not null
        and (
            dim.{{ key }} is null
            or events.created_at < dim.first_seen_at
            or events.created_at > dim.last_seen_at
        )
    {{ 'union all' if not loop.last }}
{% endfor %}
