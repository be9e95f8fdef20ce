{#- Every login each actor went by, with when it was first and last seen. -#}
{{ config(materialized='view') }}

{{ name_history('dim_actors_by_day', 'actor_key', 'actor_id', 'actor_login') }}
