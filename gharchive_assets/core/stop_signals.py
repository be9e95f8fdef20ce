"""A process's stop signals as a terminal gives them, whatever started it.

A shell script that starts a command in the background (``make run &``) starts
it with SIGINT ignored, and an ignored signal stays ignored across exec.
Dagster maps SIGTERM onto SIGINT's handler (``dagster._utils.interrupts``), so
every Dagster process below it then ignores SIGTERM too: ``kill`` no longer
stops it, and a parent that waits for it after SIGTERM waits forever. The
command line's entry points (make run, the pool-slot watcher) and the test
session take both back first.
"""

from __future__ import annotations

import signal


def take_back_stop_signals() -> None:
    """SIGINT raises KeyboardInterrupt and SIGTERM ends the process, as when a
    terminal starts it; a handler already installed is left as it is."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if signal.getsignal(signal.SIGTERM) is signal.SIG_IGN:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
