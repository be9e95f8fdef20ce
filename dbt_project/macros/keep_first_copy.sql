{#- Removes GH Archive's duplicate events (the same id in several hours or
    twice in one), keeping the copy from the first archive hour. Copies of an
    event share its created_at (and so its day), so partitioning by those as
    well changes nothing but lets a filter on event_day or on created_at reach
    below the window: a run de-duplicates its own days, not all of history. -#}
{% macro keep_first_copy() -%}
    qualify row_number() over (
        partition by event_day, created_at, event_id
        order by archive_hour, created_at
    ) = 1
{%- endmacro %}
