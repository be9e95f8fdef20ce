"""Speed and memory of the cleaner against the baselines, on a full-size modern hour.

Builds (once, under bench/out/) a 2024-sized hour of generated events and one
twice as large, then runs, one process after another on the same file:
the project's cleaner (its command line), the pandas baseline of the public
pipelines, and DuckDB's read_json with an explicit schema. Each runs
``--repeat`` times, interleaved (this machine's timings vary by 20 %); it
prints the median wall seconds, events per second and peak RSS of each, and
the ratios.

    python bench/clean_hour.py [--events 200000] [--repeat 3] [--skip-double]
"""

import argparse
import gzip
import json
import os
import shutil
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import orjson

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tests.synthetic import ArchiveFaker  # noqa: E402

OUT = HERE / "out"
HOUR = datetime(2024, 1, 1, 5, tzinfo=UTC)
KEY = "2024-01-01-05:00"


def build_hour(events: int, path: Path) -> dict:
    """Write ``events`` generated events as one archive file (cached)."""
    info_path = path.with_suffix(".info.json")
    if not (path.exists() and info_path.exists()):
        # In a child process: Linux folds the peak RSS of a process into the
        # ru_maxrss of the children it spawns, so a bench process that had
        # generated 500 MB would inflate every figure after it.
        command = [sys.executable, __file__, "--build", str(events), str(path)]
        if os.waitstatus_to_exitcode(
            os.waitpid(os.posix_spawn(command[0], command, os.environ), 0)[1]
        ):
            raise RuntimeError(f"building {path.name} failed")
    return json.loads(info_path.read_text())


def write_hour_file(events: int, path: Path) -> None:
    info_path = path.with_suffix(".info.json")
    faker = ArchiveFaker(seed=events, rich=True, actors=60_000, repos=40_000)
    json_bytes = 0
    with gzip.open(path, "wb", compresslevel=6) as handle:
        for start in range(0, events, 20_000):
            chunk = faker.hour(HOUR, min(20_000, events - start))
            data = b"\n".join(orjson.dumps(record) for record in chunk) + b"\n"
            json_bytes += len(data)
            handle.write(data)
    info = {"events": events, "json_bytes": json_bytes, "gzip_bytes": path.stat().st_size}
    info_path.write_text(json.dumps(info))


def run_child(command: list[str]) -> tuple[float, float, str]:
    started = time.monotonic()
    pid = os.posix_spawn(command[0], command, os.environ)
    _, status, usage = os.wait4(pid, 0)
    seconds = time.monotonic() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(command[1:3])} failed")
    return seconds, usage.ru_maxrss / 1024


def contenders(src: Path, dest: Path) -> dict[str, list[str]]:
    python = sys.executable
    return {
        "gharchive_assets cleaner": [
            python, "-m", "gharchive_assets.clean", str(src), str(dest / "lake"), "--partition", KEY,
        ],
        "pandas baseline": [python, str(HERE / "baseline_pandas.py"), str(src), str(dest / "pandas.parquet")],
        "duckdb read_json": [python, str(HERE / "baseline_duckdb.py"), str(src), str(dest / "duckdb.parquet")],
    }  # fmt: skip


def bench(label: str, src: Path, info: dict, names: list[str], repeat: int) -> dict[str, tuple]:
    dest = OUT / "results"
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    print(
        f"\n{label}: {info['events']:,} events, {info['gzip_bytes'] / 1e6:,.1f} MB gzip, "
        f"{info['json_bytes'] / 1e6:,.1f} MB JSON"
    )
    print(f"{'':26} {'seconds':>8} {'events/s':>10} {'peak RSS MB':>12}   (median of runs)")
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    commands = contenders(src, dest)
    for _ in range(repeat):
        for name in names:
            runs[name].append(run_child(commands[name]))
    results = {}
    for name in names:
        seconds = statistics.median(s for s, _ in runs[name])
        rss = max(r for _, r in runs[name])
        results[name] = (seconds, info["events"] / seconds, rss)
        spread = f"{min(s for s, _ in runs[name]):.2f}-{max(s for s, _ in runs[name]):.2f}"
        print(
            f"{name:26} {seconds:8.2f} {info['events'] / seconds:10,.0f} {rss:12,.0f}"
            f"   (runs: {spread} s)"
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-double", action="store_true")
    parser.add_argument("--build", nargs=2, metavar=("EVENTS", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        write_hour_file(int(args.build[0]), Path(args.build[1]))
        return
    OUT.mkdir(exist_ok=True)
    single = OUT / f"hour-{args.events}.json.gz"
    info = build_hour(args.events, single)
    results = bench("full-size hour", single, info, list(contenders(single, OUT)), args.repeat)
    ours, pandas_, duck = (
        results["gharchive_assets cleaner"],
        results["pandas baseline"],
        results["duckdb read_json"],
    )
    print(
        f"\ncleaner vs pandas: {ours[1] / pandas_[1]:.1f}x events/s; "
        f"vs duckdb: {ours[1] / duck[1]:.2f}x events/s; "
        f"RSS {ours[2]:,.0f} MB vs {pandas_[2]:,.0f} MB (pandas), {duck[2]:,.0f} MB (duckdb)"
    )
    if not args.skip_double:
        double = OUT / f"hour-{2 * args.events}.json.gz"
        info2 = build_hour(2 * args.events, double)
        results2 = bench(
            "twice as large",
            double,
            info2,
            ["gharchive_assets cleaner", "duckdb read_json"],
            args.repeat,
        )
        rss1, rss2 = ours[2], results2["gharchive_assets cleaner"][2]
        print(
            f"\ncleaner peak RSS: {rss1:,.0f} MB at 1x, {rss2:,.0f} MB at 2x ({rss2 / rss1:.2f}x)"
        )


if __name__ == "__main__":
    main()
