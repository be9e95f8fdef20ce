{#- A dimension's rows of each day: per key and UTC day, the greatest
    `id_column`, the latest `name_column` and the first and last created_at of
    that day. A daily mart (whole days replaced), so a run reads only its days'
    events and writes only its days, however long the history. -#}
{% macro dimension_days(key, id_column, name_column) -%}
select
    event_day as day,
    {{ key }},
    max({{ id_column }}) as {{ id_column }},
    {{ latest_value(name_column, 'created_at') }} as {{ name_column }},
    min(created_at) as first_seen_at,
    max(created_at) as last_seen_at
from {{ ref('int_events__deduped') }}
where {{ in_touched_days('event_day', 'created_at') }} and {{ key }} is not null
group by event_day, {{ key }}
{%- endmacro %}

{#- The dimension keyed by `key`, folded from its days (`days_model`): the
    greatest id, the name of its last sighting, the first and last created_at.
    with_bot_flag adds is_bot, for actors. A view: nothing is rewritten when a
    day loads (a table merged by key would rewrite every run the whole
    dimension, which on BigQuery bills it whole). -#}
{% macro dimension_rows(days_model, key, id_column, name_column, with_bot_flag=false) -%}
select
    {{ key }},
    max({{ id_column }}) as {{ id_column }},
    {{ latest_value(name_column, 'last_seen_at') }} as {{ name_column }},
    min(first_seen_at) as first_seen_at,
    max(last_seen_at) as last_seen_at
    {%- if with_bot_flag %},
    {{ is_bot(latest_value(name_column, 'last_seen_at')) }} as is_bot
    {%- endif %}
from {{ ref(days_model) }}
group by {{ key }}
{%- endmacro %}
