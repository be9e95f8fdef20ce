{#- How far to trust each loaded hour: how much of GitHub's event stream the
    archive holds, from its event ids (measured as the hour is cleaned, see
    gharchive_assets/clean/coverage.py), and whether it is degraded. Rebuilt
    whole each run from the ledger (one row an hour), so the trailing medians
    see late and re-loaded hours. -#}

with loaded as (
    select
        ledger.archive_hour,
        cast(ledger.archive_hour as date) as day,
        ledger.rows as events,
        ledger.distinct_event_ids,
        ledger.min_event_id,
        ledger.max_event_id,
        case
            when ledger.max_event_id is not null
                then
                    cast(ledger.distinct_event_ids as {{ type_double() }})
                    / (ledger.max_event_id - ledger.min_event_id + 1)
        end as capture_ratio,
        ledger.outside_hour_share,
        ledger.raw_bytes,
        ledger.events_by_source,
        ledger.overlap_events
    from {{ loaded_hours() }} as ledger
),

recent as (
    select distinct
        loaded.archive_hour,
        count(earlier.archive_hour) over (partition by loaded.archive_hour) as trailing_hours,
        {{ median_over('earlier.capture_ratio', 'loaded.archive_hour') }}
            as trailing_capture_ratio,
        {{ median_over('earlier.events', 'loaded.archive_hour') }} as trailing_events
    from loaded
    left join loaded as earlier
        on
            loaded.archive_hour > earlier.archive_hour
            and earlier.archive_hour
            >= {{ hours_before('loaded.archive_hour', var('coverage_trailing_hours')) }}
            and earlier.events > 0
)

select
    loaded.archive_hour,
    loaded.day,
    loaded.events,
    loaded.distinct_event_ids,
    loaded.min_event_id,
    loaded.max_event_id,
    loaded.capture_ratio,
    loaded.outside_hour_share,
    loaded.raw_bytes,
    loaded.events_by_source,
    loaded.overlap_events,
    recent.trailing_hours,
    recent.trailing_capture_ratio,
    recent.trailing_events,
    loaded.events = 0 as is_missing,
    coalesce(
        recent.trailing_hours >= {{ var('coverage_min_trailing_hours') }}
        and (
            loaded.capture_ratio
            < {{ var('coverage_degraded_below') }} * recent.trailing_capture_ratio
            or loaded.events < {{ var('coverage_degraded_below') }} * recent.trailing_events
        ),
        false
    ) as is_degraded
from loaded
inner join recent on loaded.archive_hour = recent.archive_hour
