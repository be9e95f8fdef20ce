{#- Every event once: the base of every mart that counts events. A table of
    the run's days, replaced whole like a mart's (daily_mart), so de-duplication
    runs once a run instead of once in every mart that reads it, and each mart
    reads only its own columns of the days it rebuilds. Partitioned by
    event_day (a read filters it with literal days: in_touched_days), clustered
    by type. Passes every column of stg_gharchive__events through, hence
    select *. -#}
{{ config(materialized='incremental', **daily_mart(['event_type', 'repo_key'], day_column='event_day')) }}

select *  -- noqa: AM04
from {{ ref('stg_gharchive__events') }}
where {{ in_touched_days('event_day', 'created_at') }}
{{ keep_first_copy() }}
