{#- Everyone who contributed on a day (anything but starring and forking),
    ranked with and without bots. The top ten people of a day:
    where rank_without_bots <= 10. -#}
{{ config(**daily_mart(['day', 'actor_key'])) }}

with actions as (
    select *
    from ({{ actor_actions_daily(in_touched_days('event_day', 'created_at')) }}) as daily
    where contributions > 0
)

select
    day,
    actor_key,
    actor_id,
    actor_login,
    {{ is_bot('actor_login') }} as is_bot,
    contributions,
    pushes,
    commits_pushed,
    pull_requests_opened,
    pull_requests_merged,
    pull_request_reviews,
    issues_opened,
    comments,
    releases,
    refs_created_or_deleted,
    contributions - pushes as contributions_besides_pushes,
    rank() over (partition by day order by contributions desc) as rank_with_bots,
    case
        when not {{ is_bot('actor_login') }}
            then rank() over (
                partition by day, {{ is_bot('actor_login') }} order by contributions desc
            )
    end as rank_without_bots
from actions
