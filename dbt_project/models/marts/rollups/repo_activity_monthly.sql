{#- repo_activity_daily by month: what the dashboard ranks repositories by
    over whole months. -#}
{{ config(**monthly_rollup(['repo_key'])) }}

{{ sum_by_month(
    ref('repo_activity_daily'), ['repo_key'],
    ['events', 'stars', 'forks', 'pushes', 'pull_requests_opened', 'issues_opened'],
    name='repo_name',
) }}
