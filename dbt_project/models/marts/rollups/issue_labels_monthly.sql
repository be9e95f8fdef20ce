{#- issue_labels_daily by month. -#}
{{ config(**monthly_rollup(['label'])) }}

{{ sum_by_month(
    ref('issue_labels_daily'), ['label'],
    ['issue_events', 'issues_opened', 'pull_request_events'],
) }}
