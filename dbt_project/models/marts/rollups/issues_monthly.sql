{#- issues_daily by month. -#}
{{ config(**monthly_rollup(['repo_key'])) }}

{{ sum_by_month(
    ref('issues_daily'), ['repo_key'], ['opened', 'closed', 'comments_on_issues'],
    name='repo_name',
) }}
