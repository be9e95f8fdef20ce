{#- The staged events a mart counts: one row per event id, for the days this
    run touches (every day when the run has no window or the mart is built
    from scratch). Where an id was loaded from several hours, the row of the
    first hour is kept. Copies of an event share its created_at, so
    deduplicating within the touched days equals deduplicating the whole table.
    Called from the marts (not an ephemeral model) because is_incremental()
    must be the mart's own. -#}
{% macro deduped_events() -%}
    select *
    from {{ ref('stg_gharchive__events') }}
    {{ touched_days_filter('event_day') }}
    qualify row_number() over (partition by event_id order by archive_hour, created_at) = 1
{%- endmacro %}
