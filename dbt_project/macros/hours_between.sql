{#- Hours from one timestamp to a later one, with fractions. -#}
{% macro hours_between(start_column, end_column) -%}
    {{ dbt.datediff(start_column, end_column, 'second') }} / 3600.0
{%- endmacro %}
