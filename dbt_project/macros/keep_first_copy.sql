{#- Removes GH Archive's duplicate events (the same id in several hours or
    twice in one), keeping the copy from the first archive hour. Copies of an
    event share its created_at, so partitioning by event_day as well changes
    nothing but lets a filter on event_day reach below the window. -#}
{% macro keep_first_copy() -%}
    qualify row_number() over (
        partition by event_day, event_id
        order by archive_hour, created_at
    ) = 1
{%- endmacro %}
