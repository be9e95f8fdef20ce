"""A 24-hour backfill of 2024-size hours with one worker and with two, side by
side, on the local target.

"Workers" are runs at once, as the UI's backfill launches them through the
instance's queue (deploy/dagster.local.yaml allows two): with two, one run
takes hours 0-11 and the other 12-23, downloading and cleaning side by side,
while the concurrency pools (gharchive_assets/core/concurrency.py) let one hour swap
and one dbt build write the DuckDB warehouse at a time. Each is timed on a
fresh data dir and instance, from the same file:// mirror (one generated
2024-size hour served under 24 names, as bench/history.py --backfill does).

    python bench/parallel_backfill.py [--out DIR]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import history  # noqa: E402


def backfill(workers: int, mirror: Path) -> float:
    """Wall seconds for hours 0..23 split evenly over ``workers`` runs at once."""
    pipeline = history.Pipeline(history.OUT / f"parallel-{workers}", mirror)
    share = 24 // workers
    ranges = [(w * share, (w + 1) * share - 1) for w in range(workers)]
    started = time.monotonic()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda r: pipeline.materialize(*r), ranges))
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=history.OUT)
    args = parser.parse_args()
    history.OUT = args.out
    full = HERE / "out" / "hour-200000.json.gz"
    if not full.exists():
        subprocess.run(
            [sys.executable, str(HERE / "clean_hour.py"), "--build", "200000", str(full)],
            check=True,
        )
    mirror = history.mirror_of_one_hour(full)
    for workers in (1, 2):
        seconds = backfill(workers, mirror)
        print(
            f"  24 hours of 2024 size, {workers} run(s) at once: {seconds:.0f} s, "
            f"{24 / seconds * 60:.1f} hours a minute"
        )


if __name__ == "__main__":
    main()
