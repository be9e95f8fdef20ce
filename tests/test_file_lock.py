"""The warehouse lock: one holder at a time across processes, and a wait that
runs out names the holder."""

from __future__ import annotations

import subprocess
import sys

import pytest

from gharchive_assets.warehouse.file_lock import LockTimeout, exclusive

# Starts processes: not in the fast lane.
pytestmark = pytest.mark.slow

HOLD = """
import sys, time
from pathlib import Path
from gharchive_assets.warehouse.file_lock import exclusive

with exclusive(Path(sys.argv[1]), "dbt build of run abc", 10):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
    Path(sys.argv[1] + ".letting-go").touch()
"""


def hold_in_another_process(path, seconds: float) -> subprocess.Popen:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_a_wait_that_runs_out_names_the_holder(tmp_path):
    path = tmp_path / "warehouse.duckdb.lock"
    holder = hold_in_another_process(path, 30)
    try:
        with pytest.raises(LockTimeout) as timeout, exclusive(path, "a load", 0.5):
            pass
        message = str(timeout.value)
        assert f"pid {holder.pid}" in message and "dbt build of run abc" in message
        assert f"waited 0 s for {path}" in message, "the wait it was given, not a clock"
    finally:
        holder.kill()
        holder.wait()


def test_the_next_holder_goes_on_when_the_first_lets_go_or_dies(tmp_path):
    path = tmp_path / "warehouse.duckdb.lock"
    holder = hold_in_another_process(path, 2)
    assert "dbt build of run abc" in path.read_text(), "the holder says who it is"
    with exclusive(path, "a load", 120):
        assert path.with_name(path.name + ".letting-go").exists(), "only once it let go"
        assert '"purpose": "a load"' in path.read_text()
    holder.wait()

    killed = hold_in_another_process(path, 60)
    killed.kill()  # the kernel drops a dead process's lock
    killed.wait()
    with exclusive(path, "a load", 5), exclusive(path, "the same thread again", 0):
        pass
