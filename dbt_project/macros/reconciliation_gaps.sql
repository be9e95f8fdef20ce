{#- The days on which a mart's figures and the same figures counted from the
    staging layer disagree (no rows when the mart is right). `mart_values` and
    `staging_values` are lists of aggregate expressions, compared pairwise.
    Limited to the run's days when there is a window. Used by tests/singular. -#}
{% macro reconciliation_gaps(mart, mart_values, staging, staging_values, staging_where='true') -%}
with mart_days as (
    select
        day,
        {%- for value in mart_values %}
        {{ value }} as figure_{{ loop.index }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ mart }}
    where {{ in_days('day') }}
    group by day
),

staging_days as (
    select
        event_day as day,
        {%- for value in staging_values %}
        {{ value }} as figure_{{ loop.index }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ staging }}
    where
        ({{ staging_where }})
        and {{ in_days('event_day', 'created_at') }}
    group by event_day
)

select
    coalesce(mart_days.day, staging_days.day) as day
    {%- for value in mart_values %},
    mart_days.figure_{{ loop.index }} as mart_figure_{{ loop.index }},
    staging_days.figure_{{ loop.index }} as staging_figure_{{ loop.index }}
    {%- endfor %}
from mart_days
full outer join staging_days on mart_days.day = staging_days.day
where
    {%- for value in mart_values %}
    {{ 'or ' if not loop.first }}coalesce(mart_days.figure_{{ loop.index }}, 0)
    != coalesce(staging_days.figure_{{ loop.index }}, 0)
    {%- endfor %}
{%- endmacro %}
