{#- Models land in the schema named in their config ('analytics'), not
    '<target schema>_analytics'; on BigQuery that is GHARCHIVE_BQ_ANALYTICS_DATASET. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if target.type == 'bigquery' -%}
        {{ target.schema }}
    {%- elif custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
