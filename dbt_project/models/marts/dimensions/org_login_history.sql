{#- Every login each organisation went by, with when it was first and last seen. -#}
{{ config(materialized='view') }}

{{ name_history('dim_orgs_by_day', 'org_key', 'org_id', 'org_login') }}
