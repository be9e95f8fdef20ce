{#- Hours from one timestamp to a later one, with fractions. -#}
{% macro hours_between(start_column, end_column) -%}
    {{ dbt.datediff(start_column, end_column, 'second') }} / 3600.0
{%- endmacro %}

{#- A timestamp `hours` hours before `column`, the same on DuckDB and BigQuery. -#}
{% macro hours_before(column, hours) -%}
    {%- if target.type == 'bigquery' -%}
    timestamp_sub({{ column }}, interval {{ hours }} hour)
    {%- else -%}
    {{ column }} - interval {{ hours }} hour
    {%- endif -%}
{%- endmacro %}

{#- The exact median of `column` over the rows of each `partition` (a window):
    BigQuery has no median aggregate, DuckDB no percentile_cont(x, p) window. -#}
{% macro median_over(column, partition) -%}
    {%- if target.type == 'bigquery' -%}
    percentile_cont({{ column }}, 0.5) over (partition by {{ partition }})
    {%- else -%}
    median({{ column }}) over (partition by {{ partition }})
    {%- endif -%}
{%- endmacro %}

{#- A 64-bit float: dbt's type_float() is DuckDB's 32-bit FLOAT. -#}
{% macro type_double() -%}
    {{ return('double' if target.type == 'duckdb' else 'float64') }}
{%- endmacro %}

{#- The ledger of loaded hours (gharchive.loaded_hours), beside the events.
    Dagster writes it with the events in one transaction, so it is read as
    part of the events source (not a source of its own: that would be a
    second, unmaterialisable asset in Dagster's graph). -#}
{% macro loaded_hours() -%}
    {{ return(source('gharchive', 'events').incorporate(path={'identifier': 'loaded_hours'})) }}
{%- endmacro %}

{#- The `fraction` percentile of `column` in a group. BigQuery has no exact
    percentile aggregate: approx_quantiles at 1 % steps there. -#}
{% macro percentile(column, fraction) -%}
    {%- if target.type == 'bigquery' -%}
    approx_quantiles({{ column }}, 100)[offset({{ (fraction * 100) | round | int }})]
    {%- else -%}
    quantile_cont({{ column }}, {{ fraction }})
    {%- endif -%}
{%- endmacro %}
