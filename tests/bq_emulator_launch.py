"""Run bqemulator with two gaps of its own closed, for the project's tests.

- It loads DuckDB's spatial extension at start, which DuckDB downloads at run
  time: offline that fails. Left unloaded, only GEOGRAPHY is unsupported,
  which the project does not use.
- It reads a parquet load with DuckDB's hive-partition detection on, so the
  lake's ``date=…/hour=…`` path would add two columns that BigQuery, loading
  one object, does not. Its parquet loader is replaced by one with detection off.

Run by .venv-bqemulator's Python, not the project's.
"""

import sys

from bqemulator.jobs import executor
from bqemulator.storage import engine

engine.DuckDBEngine._load_spatial = lambda self: None


def _load_parquet(path, target_ref, ctx):
    ctx.engine.execute(
        f"INSERT INTO {target_ref} SELECT * FROM read_parquet(?, hive_partitioning = false)",
        [path],
    )


executor._LOAD_FORMAT_HANDLERS["PARQUET"] = _load_parquet

from bqemulator.cli import main  # noqa: E402

sys.exit(main())
