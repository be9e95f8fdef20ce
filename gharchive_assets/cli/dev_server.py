"""What ``make dev`` runs: ``dagster dev`` with the checkout's settings, stopped
whole within seconds on Ctrl-C or SIGTERM.

python -m gharchive_assets.cli.dev_server [--host H] [--port P]

``dagster dev`` runs in a session of its own: a signal to ``make dev`` reaches
this process alone, which asks dagster to stop (SIGINT), then, after
``GRACE_SECONDS``, stops its whole session (webserver, daemon, code server and
any run they started) with SIGTERM and at last SIGKILL. The pool slots of a
run stopped so are freed when ``make dev`` or ``make run`` next starts.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from gharchive_assets.core.local_env import (
    apply_dotenv,
    dagster_working_directory,
    settings_file,
)
from gharchive_assets.core.settings import SettingsError, load_settings

WORKSPACE = Path(__file__).resolve().parents[2] / "workspace.yaml"
GRACE_SECONDS = 4.0
TERM_SECONDS = 2.0


class Stop(Exception):
    """A signal asked ``make dev`` to stop."""


def _raise_stop(signum, frame) -> None:
    raise Stop(signal.Signals(signum).name)


def stop_session(child: subprocess.Popen) -> int:
    """Stop ``child`` and every process of its session; its exit status."""
    for sig, wait in ((signal.SIGINT, GRACE_SECONDS), (signal.SIGTERM, TERM_SECONDS)):
        try:
            os.killpg(child.pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and _session_alive(child):
            time.sleep(0.1)
        if not _session_alive(child):
            break
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signal.SIGKILL)  # whatever of the session is left
    return child.wait()


def _session_alive(child: subprocess.Popen) -> bool:
    """Whether any process of ``child``'s process group is still running."""
    child.poll()
    try:
        os.killpg(child.pid, 0)
    except ProcessLookupError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gharchive_assets.cli.dev_server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default="3000")
    args = parser.parse_args(argv)
    try:
        taken = apply_dotenv()
        settings = load_settings()
    except SettingsError as error:
        print(f"make dev: {error}", file=sys.stderr)
        return 2
    if taken:
        print(f"make dev: from {settings_file()}: {', '.join(sorted(taken))}", flush=True)
    from gharchive_assets.warehouse.instance_sync import sync_at_start

    # Hours a killed run loaded but Dagster never recorded: recorded before the UI starts.
    sync_at_start(settings, lambda line: print(f"make dev: {line}", flush=True))
    command = [
        str(Path(sys.executable).with_name("dagster")), "dev",
        "-w", str(WORKSPACE), "-h", args.host, "-p", str(args.port),
    ]  # fmt: skip
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_stop)
    child = subprocess.Popen(command, cwd=dagster_working_directory(), start_new_session=True)
    try:
        return child.wait()
    except Stop as why:
        print(f"make dev: {why}: stopping dagster dev", file=sys.stderr, flush=True)
        stop_session(child)
        return 0


if __name__ == "__main__":
    sys.exit(main())
