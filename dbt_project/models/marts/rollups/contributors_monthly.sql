{#- contributors_daily by month, with an actor's bot days apart from their
    other days (is_bot is per day), so "without bots" is as exact over months
    as over days. -#}
{{ config(**monthly_rollup(['actor_key', 'is_bot'])) }}

{{ sum_by_month(
    ref('contributors_daily'), ['actor_key', 'is_bot'],
    ['contributions', 'pushes', 'pull_requests_opened', 'pull_request_reviews',
     'issues_opened', 'comments'],
    name='actor_login',
) }}
