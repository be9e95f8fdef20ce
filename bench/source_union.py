"""What a second source costs the clean step, on a 2024-sized hour.

Cleans the same generated hour (cached under bench/out/) three ways, each in a
child process, one after another: one source; two sources serving the same
events (a faithful mirror); two sources whose first serves trimmed copies (the
union keeps the second's fuller ones). Prints the median wall seconds and peak
RSS of each over ``--repeat`` runs, and the ratios to one source.

    python bench/source_union.py [--events 200000] [--repeat 3]
"""

import argparse
import gzip
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import orjson

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
OUT = HERE / "out" / "source_union"
KEY = "2024-01-01-05:00"
FILE = "2024-01-01-5.json.gz"


def build(events: int) -> None:
    """The hour and a trimmed copy of it (tests.synthetic.trimmed_copy)."""
    from datetime import UTC, datetime

    from tests.synthetic import ArchiveFaker, trimmed_copy

    done = OUT / f"built-{events}"
    if done.exists():
        return
    records = ArchiveFaker(seed=2024).hour(datetime(2024, 1, 1, 5, tzinfo=UTC), events)
    for name, rows in (("full", records), ("trimmed", [trimmed_copy(r) for r in records])):
        (OUT / name).mkdir(parents=True, exist_ok=True)
        with gzip.open(OUT / name / FILE, "wb", compresslevel=6) as handle:
            for row in rows:
                handle.write(orjson.dumps(row) + b"\n")
    done.touch()


def clean_once(files: list[str]) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of one clean in a child process."""
    code = (
        "import resource, sys, tempfile; from pathlib import Path; "
        "from gharchive_assets.clean.cleaner import clean_archive_file; "
        "files = [Path(f) for f in sys.argv[1:]]; "
        "others = [(f's{i}', f) for i, f in enumerate(files[1:], 2)]; "
        f"clean_archive_file(files[0], {KEY!r}, Path(tempfile.mkdtemp()), 0.01, others, 's1'); "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    started = time.monotonic()
    child = subprocess.run(
        [sys.executable, "-c", code, *files], check=True, capture_output=True, text=True
    )
    seconds = time.monotonic() - started
    return seconds, int(child.stdout.split()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    # In a child: its memory must not count in the cleans' peak RSS.
    subprocess.run(
        [sys.executable, "-c", f"import bench.source_union as b; b.build({args.events})"],
        check=True,
        cwd=HERE.parent,
    )
    full, trim = str(OUT / "full" / FILE), str(OUT / "trimmed" / FILE)
    cases = {
        "one source": [full],
        "two sources, the same events": [full, full],
        "two sources, the first trimmed": [trim, full],
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    peaks: dict[str, float] = {}
    for _ in range(args.repeat):
        for name, files in cases.items():
            seconds, peak = clean_once(files)
            times[name].append(seconds)
            peaks[name] = max(peaks.get(name, 0.0), peak)
    base = statistics.median(times["one source"])
    print(f"{args.events:,} events, median of {args.repeat}, 2 cores")
    for name in cases:
        median = statistics.median(times[name])
        print(f"{name:32} {median:6.2f} s  {median / base:4.2f}x  peak RSS {peaks[name]:,.0f} MB")
    print(json.dumps({name: statistics.median(t) for name, t in times.items()}))


if __name__ == "__main__":
    main()
