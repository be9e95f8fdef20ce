{#- The run's half-open window of archive hours, and the UTC days its events
    fall on (those it loaded and those whose rows a re-load replaced), from the
    vars Dagster passes: window_start, window_end and run_days, all literals. -#}
{% macro has_window() -%}
    {{ return(var('window_start', none) is not none and var('window_end', none) is not none) }}
{%- endmacro %}

{% macro in_window(column) -%}
    {{ column }} >= cast('{{ var("window_start") }}' as timestamp)
    and {{ column }} < cast('{{ var("window_end") }}' as timestamp)
{%- endmacro %}

{% macro has_run_days() -%}
    {{ return(var('run_days', none) is not none) }}
{%- endmacro %}

{#- A literal condition true for the run's days: `day_column` (a date) is one
    of them and, when `time_column` (the timestamp it is the date of) is given,
    that timestamp lies within their span too. Literals let the warehouse prune
    its scan, and the span, on a column keep_first_copy partitions by, reaches
    below that window, so de-duplication runs over the run's days only. -#}
{% macro in_run_days(day_column, time_column=none) -%}
    {%- set days = var('run_days') | sort -%}
    {%- if days | length == 0 -%}
    false
    {%- else -%}
    {%- set after_last = modules.datetime.date.fromisoformat(days[-1])
        + modules.datetime.timedelta(days=1) -%}
    {{ day_column }} in (
        {%- for day in days %}cast('{{ day }}' as date){{ ', ' if not loop.last }}{% endfor -%}
    )
    {%- if time_column %}
    and {{ time_column }} >= cast('{{ days[0] }} 00:00:00' as timestamp)
    and {{ time_column }} < cast('{{ after_last }} 00:00:00' as timestamp)
    {%- endif %}
    {%- endif -%}
{%- endmacro %}

{#- Every day, said as a literal bound on the partitioning column (the date,
    and the timestamp when given): BigQuery refuses a read of a table with
    require_partition_filter (events) whose filter is `where true`, as a first
    build, a full refresh or a plain `dbt build` would render. -#}
{% macro every_day(day_column, time_column=none) -%}
    {{ day_column }} >= cast('1970-01-01' as date)
    {%- if time_column %}
    and {{ time_column }} >= cast('1970-01-01 00:00:00' as timestamp)
    {%- endif -%}
{%- endmacro %}

{#- The run's days when it has some, else every day. -#}
{% macro in_days(day_column, time_column=none) -%}
    {%- if has_run_days() -%}
    {{ in_run_days(day_column, time_column) }}
    {%- else -%}
    {{ every_day(day_column, time_column) }}
    {%- endif -%}
{%- endmacro %}

{#- What an incremental model rebuilds: the run's days, whole, from every
    loaded hour; every day when it is built from scratch or the run has no
    days (a plain `dbt build`). On BigQuery a first build (or full refresh)
    with days builds those days only: one job may write at most 4,000
    partitions, and the archive has about 5,800 days; the rest come from
    incremental runs over ranges of days (docs/gcp.md). is_incremental() is
    the calling model's own, so call it from the model. -#}
{% macro in_touched_days(day_column, time_column=none) -%}
    {%- if is_incremental() or (target.type == 'bigquery' and has_run_days()) -%}
    {{ in_days(day_column, time_column) }}
    {%- else -%}
    {{ every_day(day_column, time_column) }}
    {%- endif -%}
{%- endmacro %}
