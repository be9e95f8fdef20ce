{#- One row per organisation: the latest login, first and last seen. -#}
{{ config(unique_key='org_key') }}

{{ dimension_rows('org_key', 'org_id', 'org_login') }}
