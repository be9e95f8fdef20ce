"""Dagster's default run launcher, plus a health check of a run's process.

Run monitoring (``run_monitoring`` in deploy/dagster.*.yaml) asks the launcher
whether a STARTED run's worker is alive; the default launcher cannot say, so a
run killed with ``kill -9`` (or whose machine rebooted) stayed STARTED for
good, and the catch-up sensor, which skips hours of unfinished runs, never
asked for its hours again. Every run logs the pid of the process executing its
steps; this launcher reports the run FAILED once that process is gone, on the
machine that keeps the instance (the local target, or the daemon's container).
"""

from __future__ import annotations

import psutil
from dagster import DagsterEventType, DagsterInstance, DagsterRun, DefaultRunLauncher
from dagster._core.launcher import CheckRunHealthResult, WorkerStatus

# A process that started this long after its run is another one that reused the pid.
PID_REUSE_SLACK_SECONDS = 60.0


class LocalRunLauncher(DefaultRunLauncher):
    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: DagsterRun) -> CheckRunHealthResult:
        pid = run_worker_pid(self._instance, run.run_id)
        if pid is None:
            return CheckRunHealthResult(WorkerStatus.RUNNING, "no worker pid logged yet")
        record = self._instance.get_run_record_by_id(run.run_id)
        started = record.start_time if record else None
        if process_alive(pid, started):
            return CheckRunHealthResult(WorkerStatus.RUNNING, f"pid {pid} is alive")
        return CheckRunHealthResult(
            WorkerStatus.FAILED,
            f"the run's process (pid {pid}) is gone: it was killed or crashed; "
            "re-run its partitions (archive_hours_sensor asks for recent hours again)",
        )


def run_worker_pid(instance: DagsterInstance, run_id: str) -> int | None:
    """The pid of the process that executes the run's steps, from its engine events."""
    for record in instance.all_logs(run_id, of_type=DagsterEventType.ENGINE_EVENT):
        event = record.dagster_event
        data = event.engine_event_data if event else None
        pid = data.metadata.get("pid") if data and data.metadata else None
        if pid is not None:
            return int(pid.value)
    return None


def process_alive(pid: int, run_started: float | None) -> bool:
    """Whether ``pid`` is the run's process: alive, and not a later process that
    reused the pid (psutil reads when it started, portably)."""
    try:
        started = psutil.Process(pid).create_time()
    except psutil.NoSuchProcess:
        return False
    except psutil.Error:
        return True  # it exists, but cannot be read (another user's, a zombie's)
    if run_started is None:
        return True
    return started <= run_started + PID_REUSE_SLACK_SECONDS
