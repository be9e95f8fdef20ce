{#- One row per actor: the latest login, and when the actor was first and
    last seen in the loaded hours. An incremental run folds the touched days
    into the rows already there, so late hours and re-runs stay correct. -#}
{{ config(unique_key='actor_key') }}

{{ dimension_rows('actor_key', 'actor_id', 'actor_login', with_bot_flag=true) }}
