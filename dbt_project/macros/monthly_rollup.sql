{#- Monthly rollups: one row per calendar month and `grain` (the first day of
    the month in `month`), summed from a daily mart. A run rebuilds only the
    months of the days it touched (run_days), so one more hour costs a month's
    rows of the daily mart at most, whatever the history. -#}

{#- The months of the run's days, as 'YYYY-MM-01', sorted; none without run_days. -#}
{% macro run_months() -%}
    {%- if not has_run_days() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set months = [] -%}
    {%- for day in var('run_days') -%}
        {%- set month = day[:7] ~ '-01' -%}
        {%- if month not in months -%}{%- do months.append(month) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(months | sort) }}
{%- endmacro %}

{#- The first day of the month of `column` (a date), as a date, on both warehouses. -#}
{% macro month_of(column) -%}
    cast({{ dbt.date_trunc('month', column) }} as date)
{%- endmacro %}

{#- The first day of the month after `month` ('YYYY-MM-01'), as 'YYYY-MM-DD'. -#}
{% macro month_after(month) -%}
    {%- set first = modules.datetime.date.fromisoformat(month) -%}
    {{ return((first + modules.datetime.timedelta(days=32)).replace(day=1).isoformat()) }}
{%- endmacro %}

{#- A literal condition true for the days (`day_column`, a date) of the run's
    months: each month a range, so BigQuery prunes the daily mart's partitions. -#}
{% macro in_run_months(day_column) -%}
    {%- set months = run_months() -%}
    {%- if months | length == 0 -%}
    false
    {%- else -%}
    ({%- for month in months %}
        ({{ day_column }} >= cast('{{ month }}' as date)
         and {{ day_column }} < cast('{{ month_after(month) }}' as date)){{ ' or' if not loop.last }}
    {%- endfor %})
    {%- endif -%}
{%- endmacro %}

{#- What a rollup rebuilds: the run's months, whole; every month on a first
    build, a full refresh or a run without days. Call from the model. -#}
{% macro in_touched_months(day_column) -%}
    {%- if is_incremental() and has_run_days() -%}
    {{ in_run_months(day_column) }}
    {%- else -%}
    {{ every_day(day_column) }}
    {%- endif -%}
{%- endmacro %}

{#- The run's months (a test's view of a rollup, `month_column` its month), or every month. -#}
{% macro in_months(month_column) -%}
    {%- if has_run_days() -%}
    {%- set months = run_months() -%}
    {%- if months | length == 0 -%}
    false
    {%- else -%}
    {{ month_column }} in (
        {%- for month in months %}cast('{{ month }}' as date){{ ', ' if not loop.last }}{% endfor -%}
    )
    {%- endif -%}
    {%- else -%}
    {{ every_day(month_column) }}
    {%- endif -%}
{%- endmacro %}

{#- The configuration of a monthly rollup keyed by `grain` (besides month).
    DuckDB deletes the run's months and inserts them again, the rows ordered
    by key (key_order), so a key's rows are a few row groups whatever the
    history; BigQuery partitions by month, clusters by the key and overwrites
    the run's months' partitions. -#}
{% macro monthly_rollup(grain) -%}
    {%- if target.type == 'duckdb' -%}
        {{ return({'incremental_strategy': 'delete+insert', 'unique_key': 'month'}) }}
    {%- endif -%}
    {%- set months = run_months() -%}
    {%- if months is none -%}
        {%- set partitions = none -%}
    {%- elif months | length == 0 -%}
        {%- set partitions = ["date('1970-01-01')"] -%}
    {%- else -%}
        {%- set partitions = [] -%}
        {%- for month in months -%}
            {%- do partitions.append("date('" ~ month ~ "')") -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return({
        'incremental_strategy': 'insert_overwrite',
        'partition_by': {'field': 'month', 'data_type': 'date', 'granularity': 'month'},
        'partitions': partitions,
        'cluster_by': (grain[:4] if grain else none),
    }) }}
{%- endmacro %}

{#- DuckDB keeps rows in the order they were inserted and skips row groups by
    their min and max (zone maps): rows written in key order make a lookup by
    key read a row group per day or month instead of all of them. BigQuery
    clusters instead (cluster_by), so this renders nothing there. -#}
{% macro key_order(columns) -%}
    {%- if target.type == 'duckdb' %}
order by {{ columns | join(', ') }}
    {%- endif -%}
{%- endmacro %}

{#- The select of a monthly rollup: `daily` summed by month and `keys`, its
    run's months only. With `name`, the name on the key's latest day of the
    month, that day (last_day) and the days summed (active_days). `extra`:
    more aggregate expressions, each with its alias. -#}
{% macro sum_by_month(daily, keys, sums, name=none, extra=[]) -%}
select
    {{ month_of('day') }} as month,
    {%- for key in keys %}
    {{ key }},
    {%- endfor %}
    {%- if name %}
    {{ latest_value(name, 'day') }} as {{ name }},
    max(day) as last_day,
    count(*) as active_days,
    {%- endif %}
    {%- for expression in extra %}
    {{ expression }},
    {%- endfor %}
    {%- for measure in sums %}
    sum({{ measure }}) as {{ measure }}{{ ',' if not loop.last }}
    {%- endfor %}
from {{ daily }}
where {{ in_touched_months('day') }}
group by {{ range(1, keys | length + 2) | join(', ') }}
{{- key_order(['month'] + keys) }}
{%- endmacro %}
