{#- Per repo and UTC day: the day's id, latest name, first and last
    created_at. What dim_repos folds; replaced by whole days like every mart. -#}
{{ config(**daily_mart(['day', 'repo_key'])) }}

{{ dimension_days('repo_key', 'repo_id', 'repo_name') }}
