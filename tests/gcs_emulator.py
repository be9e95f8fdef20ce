"""gcp-storage-emulator on 127.0.0.1, started and stopped by the tests.

It serves the real GCS JSON API that google-cloud-storage (and so dagster-gcp's
GCSResource) talks to through ``STORAGE_EMULATOR_HOST``. Known gap: it ignores
preconditions (``if_generation_match``), so the lake's precondition logic is
exercised against it but not enforced by it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.loopback import free_port, wait_for_port


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
        wait_for_port(self.port, self._process, "gcp-storage-emulator", timeout=30)
        return self

    def __exit__(self, *exc) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
