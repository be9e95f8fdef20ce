{#- The run's half-open window of archive hours, from the vars Dagster passes. -#}
{% macro has_window() -%}
    {{ return(var('window_start', none) is not none and var('window_end', none) is not none) }}
{%- endmacro %}

{% macro in_window(column) -%}
    {{ column }} >= cast('{{ var("window_start") }}' as timestamp)
    and {{ column }} < cast('{{ var("window_end") }}' as timestamp)
{%- endmacro %}

{#- A condition true for the UTC days of the events in the window's hours.
    `staging` is the stg_gharchive__events relation, for callers where ref()
    cannot be used (a test's where config is applied after parsing). -#}
{% macro in_run_days(day_column, staging=none) -%}
    {{ day_column }} in (
        select distinct event_day
        from {{ staging if staging is not none else ref('stg_gharchive__events') }}
        where {{ in_window('archive_hour') }}
    )
{%- endmacro %}

{#- A condition true for the UTC days touched by the window's hours, which an
    incremental model rebuilds whole, from every loaded hour. True for every
    day when the model is built from scratch or the run has no window.
    is_incremental() is the calling model's own, so call it from the model. -#}
{% macro in_touched_days(day_column) -%}
    {#- ref() outside the condition, so dbt sees the dependency when parsing. -#}
    {%- set staging = ref('stg_gharchive__events') -%}
    {%- if is_incremental() and has_window() -%}
    {{ in_run_days(day_column, staging) }}
    {%- else -%}
    true
    {%- endif -%}
{%- endmacro %}
