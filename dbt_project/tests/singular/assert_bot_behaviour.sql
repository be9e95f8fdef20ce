{{ config(meta={'dagster': {'ref': {'name': 'actor_behaviour_daily'}}}) }}
-- The whole rule (macros/bots.sql) on days whose answer is known: people who
-- merely carry "bot" in their login stay people at a person's pace, accounts
-- with plain names are bots at a machine's.
-- depends_on: {{ ref('actor_behaviour_daily') }}
with cases as (
    select
        'botandrose' as login,
        12 as max_pushes_in_an_hour,
        6 as active_hours,
        false as expected_is_bot

    union all

    select
        'robotics-lab-student' as login,
        39 as max_pushes_in_an_hour,
        19 as active_hours,
        false as expected_is_bot

    union all

    select
        'mirror-updates' as login,
        42 as max_pushes_in_an_hour,
        3 as active_hours,
        true as expected_is_bot

    union all

    select
        'uptime-status' as login,
        0 as max_pushes_in_an_hour,
        21 as active_hours,
        true as expected_is_bot

    union all

    select
        'dependabot[bot]' as login,
        1 as max_pushes_in_an_hour,
        1 as active_hours,
        true as expected_is_bot
)

select
    login,
    expected_is_bot
from cases
where
    ({{ is_bot('login') }} or {{ acts_like_a_bot('max_pushes_in_an_hour', 'active_hours') }})
    != expected_is_bot
