{#- Stars per repository and day as the archive counts them (WatchEvents)
    beside GitHub's own count (stargazers/history), for the repositories whose
    history was fetched (asset github/star_history) and the days loaded. A
    view: a fetch rewrites a repository's whole history, and this reads it as
    it is now. -#}
{{ config(materialized='view') }}

with github as (
    select
        repo_id,
        repo_name,
        day,
        stars,
        fetched_at
    from {{ source('github', 'star_history') }}
),

loaded_days as (
    select
        day,
        hours_loaded
    from {{ ref('coverage_daily') }}
),

archive as (
    select
        day,
        repo_key,
        stars
    from {{ ref('repo_activity_daily') }}
)

select
    github.day,
    github.repo_id,
    github.repo_name,
    coalesce(archive.stars, 0) as archive_stars,
    github.stars as github_stars,
    case
        when github.stars > 0
            then cast(coalesce(archive.stars, 0) as {{ type_double() }}) / github.stars
    end as archive_to_github_ratio,
    loaded_days.hours_loaded,
    github.fetched_at
from github
inner join loaded_days on github.day = loaded_days.day
left join archive
    on
        github.day = archive.day
        and archive.repo_key = cast(github.repo_id as {{ dbt.type_string() }})
