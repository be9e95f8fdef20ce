{#- One row per repository: the latest owner/name, first and last seen. -#}
{{ config(unique_key='repo_key') }}

{{ dimension_rows('repo_key', 'repo_id', 'repo_name') }}
