{#- One row per repository: the latest owner/name, first and last seen. -#}
{{ config(materialized='view') }}

{{ dimension_rows('dim_repos_by_day', 'repo_key', 'repo_id', 'repo_name') }}
