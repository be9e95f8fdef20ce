{#- org_activity_daily by month. Distinct actors and repositories do not add
    up over days; their largest day does. -#}
{{ config(**monthly_rollup(['org_key'])) }}

{{ sum_by_month(
    ref('org_activity_daily'), ['org_key'], ['events'], name='org_login',
    extra=['max(actors) as most_actors_in_a_day', 'max(repos) as most_repos_in_a_day'],
) }}
