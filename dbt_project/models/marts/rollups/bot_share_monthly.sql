{#- bot_share_daily by month: events by bots and by people per event type. -#}
{{ config(**monthly_rollup(['event_type'])) }}

{{ sum_by_month(ref('bot_share_daily'), ['event_type'], ['bot_events', 'human_events']) }}
