{#- Per org and UTC day: the day's id, latest login, first and last
    created_at. What dim_orgs folds; replaced by whole days like every mart. -#}
{{ config(**daily_mart(['day', 'org_key'])) }}

{{ dimension_days('org_key', 'org_id', 'org_login') }}
