{#- Everyone who contributed on a day (anything but starring and forking),
    ranked with and without bots (by name or by that day's behaviour, see
    actor_behaviour_daily). The top ten people of a day:
    where rank_without_bots <= 10. -#}
{{ config(**daily_mart(['day', 'actor_key'])) }}

with actions as (
    select *
    from ({{ actor_actions_daily(in_touched_days('event_day', 'created_at')) }}) as daily
    where contributions > 0
),

behaviour as (
    {{ bot_flags_of_touched_days() }}
)

select
    actions.day,
    actions.actor_key,
    actions.actor_id,
    actions.actor_login,
    behaviour.is_bot,
    actions.contributions,
    actions.pushes,
    actions.commits_pushed,
    actions.pull_requests_opened,
    actions.pull_requests_merged,
    actions.pull_request_reviews,
    actions.issues_opened,
    actions.comments,
    actions.releases,
    actions.refs_created_or_deleted,
    actions.contributions - actions.pushes as contributions_besides_pushes,
    rank() over (partition by actions.day order by actions.contributions desc) as rank_with_bots,
    case
        when not behaviour.is_bot
            then rank() over (
                partition by actions.day, behaviour.is_bot order by actions.contributions desc
            )
    end as rank_without_bots
from actions
inner join behaviour on actions.day = behaviour.day and actions.actor_key = behaviour.actor_key
{{- key_order(['actions.day', 'actions.actor_key']) }}
