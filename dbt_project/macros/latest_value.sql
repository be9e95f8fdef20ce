{#- The value of `column` on the row with the greatest `order_by`, in a group. -#}
{% macro latest_value(column, order_by) -%}
    {{ return(adapter.dispatch('latest_value')(column, order_by)) }}
{%- endmacro %}

{% macro default__latest_value(column, order_by) -%}
    arg_max({{ column }}, {{ order_by }})
{%- endmacro %}

{% macro bigquery__latest_value(column, order_by) -%}
    array_agg({{ column }} ignore nulls order by {{ order_by }} desc limit 1)[safe_offset(0)]
{%- endmacro %}
