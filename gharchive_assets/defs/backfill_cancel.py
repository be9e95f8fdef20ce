"""A cancelled backfill stops at once: its queued runs are cancelled and its
running ones told to stop within seconds of the click.

Dagster's backfill daemon acts on a cancel at its next iteration, and it
iterates every 30 s (``DEFAULT_DAEMON_INTERVAL_SECONDS``, fixed); an
iteration that cancels runs marks the backfill CANCELED only at the one
after. Until then a year's backfill keeps hundreds of runs in the queue,
and the runs of hours that were running go on loading. This sensor does
what the daemon's first cancelling iteration does, a few seconds after the
click; the daemon's next iteration then finds every run finished and marks
the backfill CANCELED, with its final per-asset figures.

It reads the instance's backfills (``DagsterInstance.get_backfills``), which
Dagster does not document: ``tests/test_dagster_internals.py`` fails, naming
it, if that changes.
"""

import dagster as dg

from gharchive_assets.core.settings import Settings

SENSOR = "backfill_cancel_sensor"
SENSOR_SECONDS = 5
BACKFILL_TAG = "dagster/backfill"
# Backfills looked at per tick: a cancel is always of one of the latest.
LATEST_BACKFILLS = 20


def cancelling_backfills(instance: dg.DagsterInstance) -> list[str]:
    """The ids of the latest backfills whose cancel the daemon has not finished."""
    return [
        backfill.backfill_id
        for backfill in instance.get_backfills(limit=LATEST_BACKFILLS)
        if backfill.status.value == "CANCELING"
    ]


def stop_runs(instance: dg.DagsterInstance, backfill_id: str) -> tuple[int, int]:
    """Cancel the backfill's queued runs and ask its running ones to stop;
    (queued cancelled, running told to stop)."""
    tags = {BACKFILL_TAG: backfill_id}
    queued = instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.QUEUED], tags=tags))
    for run in queued:
        instance.report_run_canceled(
            run, message="Canceled from the queue: its backfill was canceled."
        )
    running = instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED], tags=tags))
    for run in running:
        instance.run_launcher.terminate(run.run_id)
    return len(queued), len(running)


def backfill_cancel_defs(settings: Settings) -> dg.Definitions:
    @dg.sensor(
        name=SENSOR,
        minimum_interval_seconds=SENSOR_SECONDS,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=(
            "When a backfill is cancelled, cancels its queued runs and stops its running ones "
            "within seconds (Dagster's backfill daemon does it at its next 30-second iteration)."
        ),
    )
    def backfill_cancel(context: dg.SensorEvaluationContext):
        done = [
            f"backfill {backfill_id}: {stop_runs(context.instance, backfill_id)}"
            for backfill_id in cancelling_backfills(context.instance)
        ]
        return dg.SkipReason("; ".join(done) or "no backfill being cancelled")

    return dg.Definitions(sensors=[backfill_cancel])
