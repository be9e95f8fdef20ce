{#- Bots: the one place their rule lives. An account is a bot on a day
    when its name says so or its behaviour that day does.

    By name (is_bot, on a login alone):
    1. GitHub Apps: the login ends in '[bot]' (e.g. 'dependabot[bot]');
    2. the curated list below of well-known automation accounts that carry
       no suffix (most predate GitHub Apps);
    3. the login ends in '-bot' or '_bot' (e.g. 'greenkeeperio-bot').
    A login that merely contains 'bot' ('botandrose', 'abbott', 'talbot') is a
    person: tests/singular/assert_bot_classification.sql holds such cases.
    Written with right() and lower() so it means the same on DuckDB and BigQuery.

    By behaviour (acts_like_a_bot, on a day's pace, see actor_behaviour_daily):
    4. at least var bot_pushes_per_hour (40) pushes within one clock hour:
       mirrors and sync jobs push every minute or two ('mirror-updates' pushed
       42 times in 2015-01-01 01:00), a person at the keyboard a few times;
    5. activity in at least var bot_active_hours (20) of the day's 24 hours:
       nobody works twenty hours a day, a scheduled job does.
    A person whose own script pushes at such rates counts as automation that
    day, which is what the figures should say. -#}
{% macro known_bot_logins() -%}
    {#- Dependency updaters, from before they became GitHub Apps. -#}
    {%- set updaters = ['dependabot', 'dependabot-preview', 'renovate', 'scala-steward'] -%}
    {#- CI and review services that comment, push and deploy. -#}
    {%- set services = [
        'travis-ci', 'coveralls', 'codecov-io', 'sonarcloud', 'netlify', 'vercel',
        'azure-pipelines', 'github-actions'
    ] -%}
    {#- Merge queues and projects' own robots. -#}
    {%- set robots = [
        'bors', 'homu', 'mergify', 'k8s-ci-robot', 'k8s-merge-robot', 'rust-highfive',
        'rustbot', 'tensorflow-gardener', 'copybara-service', 'googlebot',
        'microsoft-github-policy-service'
    ] -%}
    {#- Chat-ops and housekeeping. -#}
    {%- set housekeeping = ['hubot', 'gitter-badger', 'allcontributors', 'imgbot'] -%}
    {#- GitHub's own committer of web edits and merges. -#}
    {%- set github = ['web-flow'] -%}
    {{ return(updaters + services + robots + housekeeping + github) }}
{%- endmacro %}

{% macro is_bot(login) -%}
    coalesce(
        right({{ login }}, 5) = '[bot]'
        or lower({{ login }}) in ('{{ known_bot_logins() | join("', '") }}')
        or right(lower({{ login }}), 4) in ('-bot', '_bot'),
        false
    )
{%- endmacro %}

{% macro acts_like_a_bot(max_pushes_in_an_hour, active_hours) -%}
    coalesce(
        {{ max_pushes_in_an_hour }} >= {{ var('bot_pushes_per_hour') }}
        or {{ active_hours }} >= {{ var('bot_active_hours') }},
        false
    )
{%- endmacro %}

{#- Each actor's is_bot on the days a daily mart rebuilds, from
    actor_behaviour_daily: what the marts join on (day, actor_key). Call it
    from the model (in_touched_days reads the model's is_incremental()). -#}
{% macro bot_flags_of_touched_days() -%}
    select
        day,
        actor_key,
        is_bot
    from {{ ref('actor_behaviour_daily') }}
    where {{ in_touched_days('day') }}
{%- endmacro %}
