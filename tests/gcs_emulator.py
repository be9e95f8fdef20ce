"""gcp-storage-emulator on 127.0.0.1, started and stopped by the tests.

It serves the real GCS JSON API that google-cloud-storage (and so dagster-gcp's
GCSResource) talks to through ``STORAGE_EMULATOR_HOST``. Known gap: it ignores
preconditions (``if_generation_match``), so the lake's precondition logic is
exercised against it but not enforced by it.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class GCSEmulator:
    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.port = free_port()
        self.host = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen | None = None

    def __enter__(self) -> GCSEmulator:
        command = [
            str(Path(sys.executable).with_name("gcp-storage-emulator")),
            "-d", str(self.data_dir),
            "start", "--host=127.0.0.1", f"--port={self.port}",
        ]  # fmt: skip
        self._process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                if self._process.poll() is not None:
                    raise RuntimeError("gcp-storage-emulator exited at start") from None
                time.sleep(0.1)
        raise RuntimeError("gcp-storage-emulator did not start within 30 s")

    def __exit__(self, *exc) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
