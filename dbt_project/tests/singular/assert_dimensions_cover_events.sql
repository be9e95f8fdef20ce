{{ config(meta={'dagster': {'ref': {'name': 'dim_actors_by_day'}}}) }}
-- Every actor, repository and organisation of the run's days is in its
-- dimension's rows of that day, first seen no later than the event and last
-- seen no earlier, under the name the event carries. The dimensions and their
-- name histories fold those rows, so they cover the events too.
{%- set dimensions = [('dim_actors_by_day', 'actor_key', 'actor_login'), ('dim_repos_by_day', 'repo_key', 'repo_name'), ('dim_orgs_by_day', 'org_key', 'org_login')] %}
with events as (
    select *
    from {{ ref('int_events__deduped') }}
    where {{ in_days('event_day', 'created_at') }}
),
{% for dimension, key, name in dimensions %}
    {{ dimension }}_days as (
        select *
        from {{ ref(dimension) }}
        where {{ in_days('day') }}
    ){{ ',' if not loop.last }}
{% endfor %}
{% for dimension, key, name in dimensions %}
    select
        '{{ dimension }}' as dimension,
        events.event_id
    from events
    left join {{ dimension }}_days as dim
        on
            events.event_day = dim.day
            and events.{{ key }} = dim.{{ key }}
            and coalesce(events.{{ name }}, '') = coalesce(dim.{{ name }}, '')
    where
        events.{{ key }} is not null
        and (
            dim.{{ key }} is null
            or events.created_at < dim.first_seen_at
            or events.created_at > dim.last_seen_at
        )
    {{ 'union all' if not loop.last }}
{% endfor %}
