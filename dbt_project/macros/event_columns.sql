{#- The columns every per-domain staging model starts with: who did what
    where and when, one list so the domains cannot drift apart. -#}
{% macro event_columns() -%}
    event_id,
    created_at,
    event_day,
    archive_hour,
    actor_key,
    actor_login,
    is_bot,
    repo_key,
    repo_id,
    repo_name
{%- endmacro %}
