{#- Per actor and UTC day: the day's id, latest login, first and last
    created_at. What dim_actors folds; replaced by whole days like every mart. -#}
{{ config(**daily_mart(['day', 'actor_key'])) }}

{{ dimension_days('actor_key', 'actor_id', 'actor_login') }}
