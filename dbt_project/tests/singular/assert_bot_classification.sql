{{ config(meta={'dagster': {'ref': {'name': 'stg_gharchive__events'}}}) }}
-- The rule of macro is_bot on logins whose answer is known, false positives
-- first: logins that merely contain "bot" are people.
-- depends_on: {{ ref('stg_gharchive__events') }}
with cases as (
    select
        'botandrose' as login,
        false as expected_is_bot

    union all

    select
        'abbott' as login,
        false as expected_is_bot

    union all

    select
        'robotics-lab-student' as login,
        false as expected_is_bot

    union all

    select
        'talbot' as login,
        false as expected_is_bot

    union all

    select
        'bottle' as login,
        false as expected_is_bot

    union all

    select
        'chatbot-dev' as login,
        false as expected_is_bot

    union all

    select
        'dependabot[bot]' as login,
        true as expected_is_bot

    union all

    select
        'github-actions[bot]' as login,
        true as expected_is_bot

    union all

    select
        'renovate[bot]' as login,
        true as expected_is_bot

    union all

    select
        'Copilot[bot]' as login,
        true as expected_is_bot

    union all

    select
        'dependabot' as login,
        true as expected_is_bot

    union all

    select
        'hubot' as login,
        true as expected_is_bot

    union all

    select
        'greenkeeperio-bot' as login,
        true as expected_is_bot

    union all

    select
        'k8s-ci-robot' as login,
        true as expected_is_bot

    union all

    select
        'web-flow' as login,
        true as expected_is_bot

    union all

    select
        'my_bot' as login,
        true as expected_is_bot
)

select
    login,
    expected_is_bot
from cases
where {{ is_bot('login') }} != expected_is_bot
