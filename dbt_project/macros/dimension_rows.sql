{#- A dimension's rows of each day: per key, name and UTC day, the greatest
    `id_column` and the first and last created_at of that name that day (a
    rename gives its day two rows). A daily mart (whole days replaced), so a
    run reads only its days' events and writes only its days, however long
    the history. The dimension and its name history fold these rows. -#}
{% macro dimension_days(key, id_column, name_column) -%}
select
    event_day as day,
    {{ key }},
    {{ name_column }},
    max({{ id_column }}) as {{ id_column }},
    min(created_at) as first_seen_at,
    max(created_at) as last_seen_at
from {{ ref('int_events__deduped') }}
where {{ in_touched_days('event_day', 'created_at') }} and {{ key }} is not null
group by event_day, {{ key }}, {{ name_column }}
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

{#- Every name a key went by: when it was first and last seen under it, and
    whether it is the latest. A key without an id (the archive gave none:
    `login:`/`name:` + the name) takes the id that the same name carried
    elsewhere in the loaded history, when exactly one id ever did
    (id_from_name). A view over the dimension's days, like the dimension. -#}
{% macro name_history(days_model, key, id_column, name_column) -%}
with names as (
    select
        {{ key }},
        {{ name_column }},
        max({{ id_column }}) as {{ id_column }},
        min(first_seen_at) as first_seen_at,
        max(last_seen_at) as last_seen_at
    from {{ ref(days_model) }}
    where {{ name_column }} is not null
    group by {{ key }}, {{ name_column }}
),

id_of_name as (
    select
        {{ name_column }},
        min({{ id_column }}) as {{ id_column }}
    from names
    where {{ id_column }} is not null
    group by {{ name_column }}
    having count(distinct {{ id_column }}) = 1
)

select
    names.{{ key }},
    coalesce(names.{{ id_column }}, id_of_name.{{ id_column }}) as {{ id_column }},
    names.{{ id_column }} is null and id_of_name.{{ id_column }} is not null as id_from_name,
    names.{{ name_column }},
    names.first_seen_at,
    names.last_seen_at,
    names.last_seen_at = max(names.last_seen_at) over (partition by names.{{ key }}) as is_latest
from names
left join id_of_name on names.{{ name_column }} = id_of_name.{{ name_column }}
{%- endmacro %}
