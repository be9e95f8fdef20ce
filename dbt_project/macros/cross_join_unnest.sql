{#- One row per element of an array column, as `alias`: the join clause,
    spelled as each adapter wants it. -#}
{% macro cross_join_unnest(array_column, alias) -%}
    {%- if target.type == 'bigquery' -%}
    cross join unnest({{ array_column }}) as {{ alias }}
    {%- else -%}
    cross join unnest({{ array_column }}) as unnested ({{ alias }})
    {%- endif -%}
{%- endmacro %}
