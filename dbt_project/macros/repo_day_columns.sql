{#- The columns every per-repository daily mart starts with; the caller
    groups by event_day and repo_key. -#}
{% macro repo_day_columns() -%}
    event_day as day,
    repo_key,
    max(repo_id) as repo_id,
    {{ latest_value('repo_name', 'created_at') }} as repo_name
{%- endmacro %}
