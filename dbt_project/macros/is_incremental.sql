{#- dbt's own is_incremental(), unless the var compile_as_incremental is set:
    then that, without asking the warehouse, so a run's SQL can be compiled
    with no warehouse at all, incremental (true) or as a first build or a full
    refresh (false); tests/test_bigquery_sql.py checks both. -#}
{% macro is_incremental() -%}
    {%- set forced = var('compile_as_incremental', none) -%}
    {%- if forced is not none -%}
        {{ return(forced) }}
    {%- endif -%}
    {{ return(dbt.is_incremental()) }}
{%- endmacro %}
