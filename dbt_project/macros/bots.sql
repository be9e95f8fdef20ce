{#- Whether a login is an automation account. The rule:
    1. GitHub Apps: the login ends in '[bot]' (e.g. 'dependabot[bot]');
    2. the curated list below of well-known automation accounts that carry
       no suffix (most predate GitHub Apps);
    3. the login ends in '-bot' or '_bot' (e.g. 'greenkeeperio-bot').
    A login that merely contains 'bot' ('botandrose', 'abbott') is a person.
    Written with right() and lower() so it means the same on DuckDB and BigQuery. -#}
{% macro known_bot_logins() -%}
    {{ return([
        'allcontributors', 'azure-pipelines', 'bors', 'codecov-io', 'copybara-service',
        'coveralls', 'dependabot', 'dependabot-preview', 'github-actions',
        'gitter-badger', 'googlebot', 'homu', 'hubot', 'imgbot', 'k8s-ci-robot',
        'k8s-merge-robot', 'mergify', 'microsoft-github-policy-service', 'netlify',
        'renovate', 'rust-highfive', 'rustbot', 'scala-steward', 'sonarcloud',
        'tensorflow-gardener', 'travis-ci', 'vercel', 'web-flow'
    ]) }}
{%- endmacro %}

{% macro is_bot(login) -%}
    coalesce(
        right({{ login }}, 5) = '[bot]'
        or lower({{ login }}) in ('{{ known_bot_logins() | join("', '") }}')
        or right(lower({{ login }}), 4) in ('-bot', '_bot'),
        false
    )
{%- endmacro %}
