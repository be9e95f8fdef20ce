"""Helpers for servers the tests start on 127.0.0.1."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(
    port: int, process: subprocess.Popen, what: str, timeout: float, why: Callable[[], str] = str
) -> None:
    """Return once ``port`` accepts connections; raise if ``process`` exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"{what} exited at start. {why()}") from None
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not start within {timeout:.0f} s. {why()}")
