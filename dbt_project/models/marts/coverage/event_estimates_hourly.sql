{#- For hours the archive caught measurably less of than a reference period:
    how many events of each type GitHub likely had, with an interval, beside
    what the archive holds. Never mixed into the observed counts.

    Method (docs/analytics.md, "Estimates"): an hour's capture ratio
    (coverage_hourly: distinct ids / id span) over the reference period's
    median gives its relative capture c. Events are taken as caught
    independently with probability c, the same for every type, so an observed
    count n estimates n / c, with a 95 % interval of the binomial spread
    (1.96 * sqrt(n * (1 - c)) / c) widened by the reference's own spread (its
    10th and 90th percentile capture). Counts are per hour of created_at
    (hourly_event_counts) against the archive hour's ids. -#}
{{ config(materialized='view') }}

with reference as (
    select
        {{ percentile('capture_ratio', 0.5) }} as reference_capture_ratio,
        {{ percentile('capture_ratio', 0.1) }} as reference_low,
        {{ percentile('capture_ratio', 0.9) }} as reference_high,
        count(*) as reference_hours
    from {{ ref('coverage_hourly') }}
    where
        capture_ratio is not null
        and not is_missing
        and archive_hour >= cast('{{ var("capture_reference_start") }}' as timestamp)
        and archive_hour < cast('{{ var("capture_reference_end") }}' as timestamp)
),

hours as (
    select
        coverage.archive_hour,
        coverage.capture_ratio,
        reference.reference_capture_ratio,
        reference.reference_hours,
        least(coverage.capture_ratio / reference.reference_capture_ratio, 1.0) as relative_capture,
        least(coverage.capture_ratio / reference.reference_low, 1.0) as relative_capture_high,
        coverage.capture_ratio / reference.reference_high as relative_capture_low
    from {{ ref('coverage_hourly') }} as coverage
    cross join reference
    where coverage.capture_ratio > 0 and reference.reference_capture_ratio > 0
),

counted as (
    select
        counts.hour,
        counts.day,
        counts.event_type,
        counts.events as observed_events,
        hours.capture_ratio,
        hours.reference_capture_ratio,
        hours.reference_hours,
        hours.relative_capture,
        hours.relative_capture_low,
        hours.relative_capture_high,
        hours.relative_capture < {{ var('estimate_below') }} as is_estimate,
        1.96 * sqrt(counts.events * (1 - hours.relative_capture)) / hours.relative_capture
            as spread
    from {{ ref('hourly_event_counts') }} as counts
    inner join hours on counts.hour = hours.archive_hour
)

select
    hour,
    day,
    event_type,
    observed_events,
    capture_ratio,
    reference_capture_ratio,
    reference_hours,
    relative_capture,
    is_estimate,
    case when is_estimate then observed_events / relative_capture end as estimated_events,
    case
        when is_estimate
            then greatest(observed_events, observed_events / relative_capture_high - spread)
    end as estimated_low,
    case
        when is_estimate then observed_events / relative_capture_low + spread
    end as estimated_high
from counted
