{#- Every name each repository went by, with when it was first and last seen. -#}
{{ config(materialized='view') }}

{{ name_history('dim_repos_by_day', 'repo_key', 'repo_id', 'repo_name') }}
