"""bqemulator on 127.0.0.1, from its own virtual environment (.venv-bqemulator).

With ``BQEMU_GCS_LOCAL_ROOT`` at the GCS emulator's data directory, its load
jobs read ``gs://`` URIs written through the GCS emulator. Known gaps: no
``table$YYYYMMDD`` decorators, no parameters inside multi-statement scripts
(the warehouse uses one MERGE, which works), no schema autodetect into a new
table.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.loopback import free_port, wait_for_port

REPO = Path(__file__).resolve().parents[1]
PYTHON = REPO / ".venv-bqemulator" / "bin" / "python"


class BigQueryEmulator:
    def __init__(self, gcs_root: Path, log_file: Path):
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.gcs_root = gcs_root
        self.log_file = log_file
        self._process: subprocess.Popen | None = None

    def __enter__(self) -> BigQueryEmulator:
        if not PYTHON.exists():
            raise RuntimeError(f"{PYTHON} is missing: run the tests through `make test`")
        command = [
            str(PYTHON), str(Path(__file__).with_name("bq_emulator_launch.py")),
            "start", "--rest-host", "127.0.0.1", "--rest-port", str(self.port),
            "--grpc-port", "0", "--project", "test", "--log-level", "warning",
        ]  # fmt: skip
        env = {**os.environ, "BQEMU_GCS_LOCAL_ROOT": str(self.gcs_root)}
        self._log = open(self.log_file, "wb")
        self._process = subprocess.Popen(command, env=env, stdout=self._log, stderr=self._log)
        wait_for_port(
            self.port,
            self._process,
            "bqemulator",
            timeout=60,
            why=lambda: self.log_file.read_text()[-2000:],
        )
        return self

    def __exit__(self, *exc) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
        self._log.close()


def client_for(endpoint: str):
    """An anonymous BigQuery client of the emulator at ``endpoint``, project ``test``."""
    from google.api_core.client_options import ClientOptions
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import bigquery

    return bigquery.Client(
        project="test",
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=endpoint),
    )
