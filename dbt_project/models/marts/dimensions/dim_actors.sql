{#- One row per actor: the latest login, and when the actor was first and
    last seen in the loaded hours, folded from dim_actors_by_day. -#}
{{ config(materialized='view') }}

{{ dimension_rows('dim_actors_by_day', 'actor_key', 'actor_id', 'actor_login', with_bot_flag=true) }}
