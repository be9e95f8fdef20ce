{#- A monthly rollup holds exactly its days: for every month it has (or its
    daily mart has), each measure's sum over the rollup equals its sum over
    the daily mart's days of that month. Returns the months that differ. -#}
{% test rollup_matches_days(model, days_model, measures) %}
with rolled as (
    select
        month,
        {%- for measure in measures %}
        sum({{ measure }}) as {{ measure }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ model }}
    group by month
),

{#- The daily mart's days of the months the test looks at (a run's months). -#}
summed as (
    select
        {{ month_of('day') }} as month,
        {%- for measure in measures %}
        sum({{ measure }}) as {{ measure }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ days_model }}
    where {{ in_run_months('day') if has_run_days() else every_day('day') }}
    group by 1
)

select
    coalesce(rolled.month, summed.month) as month,
    {%- for measure in measures %}
    rolled.{{ measure }} as rollup_{{ measure }},
    summed.{{ measure }} as days_{{ measure }}{{ ',' if not loop.last }}
    {%- endfor %}
from rolled
full outer join summed on rolled.month = summed.month
where
    {%- for measure in measures %}
    rolled.{{ measure }} is distinct from summed.{{ measure }}{{ ' or' if not loop.last }}
    {%- endfor %}
{% endtest %}
