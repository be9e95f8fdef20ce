{#- pull_requests_daily by month. -#}
{{ config(**monthly_rollup(['repo_key'])) }}

{{ sum_by_month(
    ref('pull_requests_daily'), ['repo_key'],
    ['opened', 'merged', 'closed', 'closed_merge_unknown'], name='repo_name',
) }}
