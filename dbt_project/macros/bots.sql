{#- Whether a login is an automation account. The rule, used everywhere:
    1. GitHub Apps: the login ends in '[bot]' (e.g. 'dependabot[bot]');
    2. the curated list below of well-known automation accounts that carry
       no suffix (most predate GitHub Apps);
    3. the login ends in '-bot' or '_bot' (e.g. 'greenkeeperio-bot').
    A login that merely contains 'bot' ('botandrose', 'abbott', 'talbot') is a
    person: tests/singular/assert_bot_classification.sql holds such cases.
    Written with right() and lower() so it means the same on DuckDB and BigQuery. -#}
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
