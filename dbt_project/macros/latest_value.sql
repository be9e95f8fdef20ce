{#- The value of `column` on the row with the greatest `order_by`, in a group.
    MAX_BY exists in both DuckDB and BigQuery. -#}
{% macro latest_value(column, order_by) -%}
    max_by({{ column }}, {{ order_by }})
{%- endmacro %}
