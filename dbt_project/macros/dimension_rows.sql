{#- The rows of a dimension keyed by `key`: max(`id_column`), the latest
    `name_column` and the first and last created_at seen. Incrementally, the
    touched days' events are folded into the existing rows of the same keys
    (min and max are idempotent, so re-running an hour changes nothing).
    with_bot_flag adds is_bot, for actors. -#}
{% macro dimension_rows(key, id_column, name_column, with_bot_flag=false) -%}
with touched as (
    select
        {{ key }} as dimension_key,
        max({{ id_column }}) as id_value,
        {{ latest_value(name_column, 'created_at') }} as name_value,
        min(created_at) as first_seen_at,
        max(created_at) as last_seen_at
    from {{ ref('int_events__deduped') }}
    where {{ in_touched_days('event_day', 'created_at') }} and {{ key }} is not null
    group by {{ key }}
),

candidates as (
    select * from touched
    {%- if is_incremental() %}

    union all

    select
        {{ key }} as dimension_key,
        {{ id_column }} as id_value,
        {{ name_column }} as name_value,
        first_seen_at,
        last_seen_at
    from {{ this }}
    where {{ key }} in (select touched.dimension_key from touched)
    {%- endif %}
)

select
    dimension_key as {{ key }},
    max(id_value) as {{ id_column }},
    {{ latest_value('name_value', 'last_seen_at') }} as {{ name_column }},
    min(first_seen_at) as first_seen_at,
    max(last_seen_at) as last_seen_at
    {%- if with_bot_flag %},
    {{ is_bot(latest_value('name_value', 'last_seen_at')) }} as is_bot
    {%- endif %}
from candidates
group by dimension_key
{%- endmacro %}
