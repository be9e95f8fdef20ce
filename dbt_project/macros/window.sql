{#- The run's half-open window of archive hours, from the vars Dagster passes. -#}
{% macro has_window() -%}
    {{ return(var('window_start', none) is not none and var('window_end', none) is not none) }}
{%- endmacro %}

{% macro in_window(column) -%}
    {{ column }} >= cast('{{ var("window_start") }}' as timestamp)
    and {{ column }} < cast('{{ var("window_end") }}' as timestamp)
{%- endmacro %}

{#- Restricts an incremental model to the UTC days touched by the window's
    hours: those days are rebuilt whole, from every loaded hour. -#}
{% macro touched_days_filter(day_column) -%}
    {%- if is_incremental() and has_window() -%}
    where {{ day_column }} in (
        select distinct event_day
        from {{ ref('stg_gharchive__events') }}
        where {{ in_window('archive_hour') }}
    )
    {%- endif -%}
{%- endmacro %}
