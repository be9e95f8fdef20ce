{#- The configuration of a mart with one row per `day` and `grain`, replaced by
    whole UTC days. DuckDB deletes the run's days and inserts them again
    (delete+insert keyed on the day). BigQuery partitions the mart by day and
    overwrites the run's days' partitions (insert_overwrite over a literal list
    of days), so keys that vanished on a re-load go there too, and the MERGE
    dbt runs reads only those partitions. `day_column` names the date column
    (event_day for a table of events). The strategy is set here, not by
    folder: a daily table outside marts/ (int_events__deduped) would otherwise
    get dbt-bigquery's default, a merge that without a unique key appends. -#}
{% macro daily_mart(grain, day_column='day') -%}
    {%- if target.type == 'duckdb' -%}
        {{ return({'incremental_strategy': 'delete+insert', 'unique_key': day_column}) }}
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
        'incremental_strategy': 'insert_overwrite',
        'partition_by': {'field': day_column, 'data_type': 'date'},
        'partitions': partitions,
        'cluster_by': (grain | reject('equalto', day_column) | list)[:4],
    }) }}
{%- endmacro %}
