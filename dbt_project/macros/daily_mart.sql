{#- The configuration of a mart with one row per `day` and `grain`, replaced by
    whole UTC days. DuckDB deletes the run's days and inserts them again
    (delete+insert keyed on the day). BigQuery partitions the mart by day and
    overwrites the run's days' partitions (insert_overwrite over a literal list
    of days), so keys that vanished on a re-load go there too, and the MERGE
    dbt runs reads only those partitions. A table of events rather than of
    days (`time_column`) is partitioned by the day of that timestamp, as
    `events` is, so a filter on it prunes; `day_column` is its date. -#}
{% macro daily_mart(grain, day_column='day', time_column=none) -%}
    {%- if target.type == 'duckdb' -%}
        {{ return({'unique_key': day_column}) }}
    {%- endif -%}
    {%- set days = var('run_days', none) -%}
    {%- set literal = "timestamp('{}')" if time_column else "date('{}')" -%}
    {%- if days is none -%}
        {%- set partitions = none -%}
    {%- elif days | length == 0 -%}
        {#- A run with no days (its hours were lost at source): a partition no event has. -#}
        {%- set partitions = [literal.format('1970-01-01')] -%}
    {%- else -%}
        {%- set partitions = [] -%}
        {%- for day in days | sort -%}
            {%- do partitions.append(literal.format(day)) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if time_column -%}
        {%- set partition_by = {'field': time_column, 'data_type': 'timestamp', 'granularity': 'day'} -%}
    {%- else -%}
        {%- set partition_by = {'field': day_column, 'data_type': 'date'} -%}
    {%- endif -%}
    {{ return({
        'partition_by': partition_by,
        'partitions': partitions,
        'cluster_by': (grain | reject('equalto', day_column) | list)[:4],
    }) }}
{%- endmacro %}
