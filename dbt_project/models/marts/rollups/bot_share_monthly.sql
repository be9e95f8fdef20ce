{#- bot_share_daily by month: events by bots and by people per event type. -#}
{{ config(**monthly_rollup(['event_type'])) }}

select
    {{ month_of('day') }} as month,
    event_type,
    sum(bot_events) as bot_events,
    sum(human_events) as human_events
from {{ ref('bot_share_daily') }}
where {{ in_touched_months('day') }}
group by 1, 2
{{- key_order(['month', 'event_type']) }}
