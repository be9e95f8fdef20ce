{#- dbt's own is_incremental(), unless the var compile_as_incremental is set:
    then true without asking the warehouse, so an hourly run's SQL can be
    compiled with no warehouse at all (tests/test_bigquery_sql.py checks it). -#}
{% macro is_incremental() -%}
    {%- if var('compile_as_incremental', false) -%}
        {{ return(true) }}
    {%- endif -%}
    {{ return(dbt.is_incremental()) }}
{%- endmacro %}
