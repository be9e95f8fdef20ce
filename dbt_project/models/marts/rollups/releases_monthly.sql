{#- releases_daily by month, with the month's latest tag. -#}
{{ config(**monthly_rollup(['repo_key'])) }}

{{ sum_by_month(
    ref('releases_daily'), ['repo_key'], ['releases'], name='repo_name',
    extra=[latest_value('latest_tag', 'day') ~ ' as latest_tag'],
) }}
