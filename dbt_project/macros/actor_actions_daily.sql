{#- What each actor did on a day, one column per kind of action, over the
    de-duplicated events that pass `where`. A macro, so a mart can put its
    literal day filter on the events themselves (where BigQuery prunes) rather
    than on a view's daily aggregate. -#}
{% macro actor_actions_daily(where='true') -%}
with events as (
    select * from {{ ref('int_events__deduped') }}
    where {{ where }}
)

select
    event_day as day,
    actor_key,
    max(actor_id) as actor_id,
    {{ latest_value('actor_login', 'created_at') }} as actor_login,
    count(*) as events,
    count(case when event_type not in ('WatchEvent', 'ForkEvent') then 1 end) as contributions,
    count(case when event_type = 'PushEvent' then 1 end) as pushes,
    sum(case when event_type = 'PushEvent' then push_size end) as commits_pushed,
    count(case when event_type = 'PullRequestEvent' and action = 'opened' then 1 end)
        as pull_requests_opened,
    {{ known_count(
        "event_type = 'PullRequestEvent' and action = 'closed'", 'pr_merged', 'pr_merged'
    ) }} as pull_requests_merged,
    count(
        case
            when event_type in ('PullRequestReviewEvent', 'PullRequestReviewCommentEvent')
                then 1
        end
    ) as pull_request_reviews,
    count(case when event_type = 'IssuesEvent' and action = 'opened' then 1 end)
        as issues_opened,
    count(case when event_type in ('IssueCommentEvent', 'CommitCommentEvent') then 1 end)
        as comments,
    count(case when event_type = 'ReleaseEvent' then 1 end) as releases,
    count(case when event_type in ('CreateEvent', 'DeleteEvent') then 1 end)
        as refs_created_or_deleted,
    count(case when event_type = 'WatchEvent' then 1 end) as stars_given,
    count(case when event_type = 'ForkEvent' then 1 end) as forks_made
from events
where actor_key is not null
group by event_day, actor_key
{%- endmacro %}
