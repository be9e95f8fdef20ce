"""The SQL dbt would send BigQuery for a run, compiled with no warehouse.

What the offline SQL check (test_bigquery_sql) and the cost benchmark
(bench/bigquery_cost.py) read; not part of the pipeline.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from gharchive_assets.core.dbt_project import DBT_PROJECT_DIR, dbt_executable


def compile_hourly_run_for_bigquery(
    target_dir: Path, run_vars: dict, incremental: bool = True
) -> dict:
    """The manifest of a run's SQL for the bigquery target, compiled with no
    warehouse: an incremental run (``compile_as_incremental``), or a first
    build or full refresh (``incremental=False``, as is_incremental() is then).
    What the offline SQL check and the cost benchmark read."""
    subprocess.run(
        [
            dbt_executable(), "compile", "--target", "gcp_emulator",
            "--target-path", str(target_dir), "--no-populate-cache",
            "--vars", json.dumps({"compile_as_incremental": incremental, **run_vars}),
        ],
        cwd=DBT_PROJECT_DIR,
        env={**os.environ, "GHARCHIVE_TARGET": "gcp", "DBT_LOG_PATH": str(target_dir)},
        check=True,
        capture_output=True,
    )  # fmt: skip
    return json.loads((target_dir / "manifest.json").read_text())
