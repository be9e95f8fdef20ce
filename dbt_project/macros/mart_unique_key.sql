{#- The unique_key of an incremental mart. DuckDB (delete+insert) replaces the
    touched days whole, so the key is the day. BigQuery (merge) matches rows
    on the mart's full grain, whose columns are never null. -#}
{% macro mart_unique_key(grain) -%}
    {{ return('day' if target.type == 'duckdb' else grain) }}
{%- endmacro %}
