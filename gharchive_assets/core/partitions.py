"""The partitions: hours for the archive's files, its cleaned copy and the
warehouse table; UTC days for the dbt models (which dbt builds by day anyway)
and the daily report; and how a run covers them.

Why the models are daily: a year is 8,760 hours, and every hourly asset
costs the UI, the backfill daemon and run creation per partition. Three
hourly assets and 32 daily models plan 38,000 asset partitions a year where
32 hourly ones planned 280,000 (docs/backfills.md has the measurements).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

import dagster as dg

from gharchive_assets.contract.archive_hour import ARCHIVE_FIRST_HOUR, KEY_FORMAT, parse_key

# The three hourly assets' group: its "Materialize all" in the UI is the usual
# backfill (the models follow, defs/models_follow.py).
HOURS_GROUP = "archive_hours"
# A failed step names at most this many hours in its message (all are in its metadata).
LISTED_FAILURES = 24
REASON_CHARS = 400


@cache
def hourly_partitions(start: str) -> dg.HourlyPartitionsDefinition:
    """Hourly partitions from ``start`` (GHARCHIVE_START), keys like 2015-01-01-01:00, UTC."""
    first = parse_key(start)
    if first < parse_key(ARCHIVE_FIRST_HOUR):
        raise ValueError(f"GHARCHIVE_START {start!r} is before the archive's first hour")
    return dg.HourlyPartitionsDefinition(start_date=start, fmt=KEY_FORMAT, timezone="UTC")


@cache
def daily_partitions(start: str) -> dg.DailyPartitionsDefinition:
    """UTC days from the day of ``start`` to the last that has ended, keys like
    2015-01-01: the daily report's (a report is of a whole day)."""
    return dg.DailyPartitionsDefinition(start_date=day_of(start), timezone="UTC")


@cache
def model_days(start: str) -> dg.DailyPartitionsDefinition:
    """UTC days from the day of ``start`` up to today: the dbt models'. Today is
    a partition too (``end_offset=1``), rebuilt as its hours arrive, so the
    marts keep up hour by hour. Each day maps to its 24 hours upstream."""
    return dg.DailyPartitionsDefinition(start_date=day_of(start), timezone="UTC", end_offset=1)


def day_of(key: str) -> str:
    """The UTC day (``YYYY-MM-DD``) of hour ``key``."""
    return parse_key(key).strftime("%Y-%m-%d")


def backfill_policy(hours_per_run: int | None) -> dg.BackfillPolicy:
    """One run for a whole range (what the CLI's --partition-range needs), or runs of
    ``hours_per_run`` hours, so a failed hour holds back only its own batch."""
    if hours_per_run is None:
        return dg.BackfillPolicy.single_run()
    return dg.BackfillPolicy.multi_run(max_partitions_per_run=hours_per_run)


def model_backfill_policy(hours_per_run: int | None) -> dg.BackfillPolicy:
    """The dbt models' runs: one for a whole range of days, or as many days as
    ``hours_per_run`` hours cover (at least one), so a backfill builds each day's
    marts once, after its hours, never hour by hour."""
    if hours_per_run is None:
        return dg.BackfillPolicy.single_run()
    return dg.BackfillPolicy.multi_run(max_partitions_per_run=max(1, hours_per_run // 24))


def for_each_hour(
    context: dg.AssetExecutionContext,
    work: Callable[[str], Mapping[str, Any]],
    final: tuple[type[Exception], ...] = (),
    step_retries: int = 0,
    stop_on: tuple[type[Exception], ...] = (),
    report_each: bool = False,
) -> dg.MaterializeResult:
    """Do ``work`` for each hour of the run; one failed hour does not stop the others,
    except a failure of a ``stop_on`` kind (one that fails every hour alike, such
    as a misconfigured source): the hours after it are not tried.

    Each hour's metadata is attached to that partition's materialisation. If any
    hour failed, the step fails at the end with every failed hour and its reason;
    when every failure is of a ``final`` kind, a retry of the step would not help,
    so the step's RetryPolicy (``step_retries`` of them) is not used. The last
    try fails without asking for another, which keeps this message (Dagster would
    replace it with "Exceeded max_retries").

    ``report_each``: each hour's materialisation is also recorded as soon as the
    hour is done, not only when the step ends (Dagster's way for a ranged step),
    so a run killed or failed part-way leaves the instance saying what the
    warehouse holds.
    """
    keys = context.partition_keys
    failures: dict[str, str] = {}
    retry_could_help = False
    for index, key in enumerate(keys):
        try:
            metadata = work(key)
        except Exception as error:  # reported below, per hour
            context.log.error(f"hour {key} failed: {error}")
            failures[key] = f"{type(error).__name__}: {error}"
            retry_could_help |= not isinstance(error, final)
            if isinstance(error, stop_on):
                for untried in keys[index + 1 :]:
                    failures[untried] = f"not tried, for the same reason as {key}"
                break
            continue
        context.add_asset_metadata(dict(metadata), partition_key=key)
        if report_each:
            context.log_event(
                dg.AssetMaterialization(context.asset_key, partition=key, metadata=dict(metadata))
            )
    if failures:
        lines = [f"- {key}: {reason}" for key, reason in failures.items()]
        if len(lines) > LISTED_FAILURES:
            hidden = len(lines) - LISTED_FAILURES
            lines = [*lines[:LISTED_FAILURES], f"- ... and {hidden} more hours"]
        listing = "\n".join(lines)
        others = "" if len(failures) == len(keys) else "; the other hours were processed"
        raise dg.Failure(
            description=(
                f"{len(failures)} of {len(keys)} hours failed{others}. "
                f"Re-run the failed hours once the cause is fixed:\n{listing}"
            ),
            metadata={
                "failed_hours": sorted(failures),
                # Each failed hour and why, for `make run`'s summary (reasons cut short:
                # a year of failed hours stays a few hundred kB).
                "hour_failures": dg.MetadataValue.json(
                    {key: reason[:REASON_CHARS] for key, reason in failures.items()}
                ),
            },
            allow_retries=retry_could_help and context.retry_number < step_retries,
        )
    return dg.MaterializeResult(metadata={"hours": len(keys)})
