{#- The configuration of a mart with one row per `day` and `grain`, replaced by
    whole UTC days. DuckDB deletes the run's days and inserts them again
    (delete+insert keyed on the day). BigQuery partitions the mart by day and
    overwrites the run's days' partitions (insert_overwrite over a literal list
    of days), so keys that vanished on a re-load go there too, and the MERGE
    dbt runs reads only those partitions. -#}
{% macro daily_mart(grain) -%}
    {%- if target.type == 'duckdb' -%}
        {{ return({'unique_key': 'day'}) }}
    {%- endif -%}
    {%- set days = var('run_days', none) -%}
    {%- if days is none -%}
        {%- set partitions = none -%}
    {%- elif days | length == 0 -%}
        {#- A run with no days (its hours were lost at source): a partition no event has. -#}
        {%- set partitions = ["date('1970-01-01')"] -%}
    {%- else -%}
        {%- set partitions = [] -%}
        {%- for day in days | sort -%}
            {%- do partitions.append("date('" ~ day ~ "')") -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return({
        'partition_by': {'field': 'day', 'data_type': 'date'},
        'partitions': partitions,
        'cluster_by': (grain | reject('equalto', 'day') | list)[:4],
    }) }}
{%- endmacro %}
