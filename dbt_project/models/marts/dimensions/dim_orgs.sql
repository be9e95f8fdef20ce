{#- One row per organisation: the latest login, first and last seen. -#}
{{ config(materialized='view') }}

{{ dimension_rows('dim_orgs_by_day', 'org_key', 'org_id', 'org_login') }}
