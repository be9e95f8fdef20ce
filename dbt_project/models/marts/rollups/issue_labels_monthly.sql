{#- issue_labels_daily by month. -#}
{{ config(**monthly_rollup(['label'])) }}

select
    {{ month_of('day') }} as month,
    label,
    sum(issue_events) as issue_events,
    sum(issues_opened) as issues_opened,
    sum(pull_request_events) as pull_request_events
from {{ ref('issue_labels_daily') }}
where {{ in_touched_months('day') }}
group by 1, 2
{{- key_order(['month', 'label']) }}
