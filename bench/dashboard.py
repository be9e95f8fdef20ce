"""What each dashboard view costs at a day, a month, a year and all history.

Builds the daily marts the dashboard reads straight into a DuckDB warehouse
(tests/synthetic_marts.py), at ``--scale`` times the rows a day of 2024 gives
(1.0: about 4.8 million events, a million repositories and 600,000
contributors a day), for ``--days`` days from 2024-03-01, then their monthly
rollups the way the project builds them: ``dbt run`` of its rollup models.
Then times every view's queries (the :class:`MartsReader` methods a view
calls, through the same ``DuckDBWarehouseResource`` the dashboard uses, cold:
Streamlit's one-minute cache off) for the latest day, the latest month, the
latest 365 days and all history, and one repository's whole history: first
from the daily marts alone (the reader before the rollups), then from the
rollups and edge days (the reader now). Its last line is the slowest view's
time over all history divided by its time on the latest day.

    python bench/dashboard.py [--days 365] [--scale 0.05] [--out bench/out/dashboard]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from gharchive_assets.reporting.marts import Filters, MartsReader  # noqa: E402
from gharchive_assets.reporting.ranges import month_start  # noqa: E402
from gharchive_assets.warehouse.duckdb_warehouse import DuckDBWarehouseResource  # noqa: E402
from tests.synthetic_marts import build_daily_marts, build_rollups  # noqa: E402

FIRST = date(2024, 3, 1)


# What each view asks for (dashboard/app.py), in order: (method, arguments,
# when) with when "day" (a single day's view), "range" (longer) or None.
VIEWS = {
    "overview": [
        ("headline", (), None),
        ("top_repositories", ("events", 10), None),
        ("coverage", (), None),
        ("events_by_hour", (), "day"),
        ("hour_coverage", (), "day"),
        ("events_by_type", (), "range"),
        ("bot_share", (), None),
    ],
    "repositories": [
        ("top_repositories", ("stars", 10), None),
        ("repository_history", "first", None),  # of the list's first, as the view picks
        ("coverage", (), None),
    ],
    "people": [
        ("top_people", (10,), None),
        ("person_history", "first person", None),
        ("top_organisations", (10,), None),
        ("coverage", (), None),
    ],
    "pull-requests": [
        ("coverage", (), None),
        ("pull_requests", (), None),
        ("time_to_merge", (), None),
        ("issues", (), None),
        ("labels", (10,), None),
    ],
    "releases": [("releases", (10,), None), ("new_repositories", (10,), None)],
    "coverage": [("coverage", (), None), ("coverage_by_month", (), "range")],
}


def run_view(marts: MartsReader, filters: Filters, calls) -> None:
    """A view's calls, as the app makes them for ``filters``."""
    single_day = filters.first == filters.last
    answer = None
    for method, arguments, when in calls:
        if when not in (None, "day" if single_day else "range"):
            continue
        if arguments == "first":  # the first repository of the list just read
            arguments = (answer["repo_key"].iloc[0],)
        elif arguments == "first person":
            arguments = (answer["actor_key"].iloc[0],)
        answer = getattr(marts, method)(filters, *arguments)


def time_view(marts: MartsReader, filters: Filters, calls) -> float:
    started = time.perf_counter()
    run_view(marts, filters, calls)
    return time.perf_counter() - started


def timed(marts: MartsReader, filters: Filters, calls, repeat: int) -> float:
    time_view(marts, filters, calls)  # the file's pages in the OS cache
    return min(time_view(marts, filters, calls) for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs a cell (min)")
    parser.add_argument("--out", type=Path, default=Path("bench/out/dashboard"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "warehouse.duckdb"
    path.unlink(missing_ok=True)
    started = time.perf_counter()
    build_daily_marts(path, FIRST, args.days, args.scale)
    built = time.perf_counter()
    build_rollups(path, args.out)
    rolled = time.perf_counter()
    print(
        f"{args.days} days of 2024-size daily marts (x{args.scale:g}) in {built - started:.0f} s, "
        f"their rollups (dbt run) in {rolled - built:.0f} s: "
        f"{path.stat().st_size / 2**30:.2f} GiB"
    )
    marts = MartsReader(DuckDBWarehouseResource(path=str(path)), "duckdb")
    last = FIRST + timedelta(days=args.days - 1)
    ranges = {
        "latest day": Filters(last, last),
        "latest month": Filters(max(FIRST, month_start(last)), last),
        "365 days": Filters(max(FIRST, last - timedelta(days=364)), last),
        "all history": Filters(FIRST, last),
    }
    views = dict(VIEWS)
    top_key = marts.top_repositories(ranges["all history"], "events", 1)["repo_key"].iloc[0]
    views["one repo's history"] = [("repository_history", (top_key,), None)]
    tables = {}
    for use_rollups, label in (
        (False, "from the daily marts alone (before the rollups)"),
        (True, "from whole months of the rollups and edge days (now)"),
    ):
        marts.use_rollups = use_rollups
        print(f"\n{label}\n{'view':20}" + "".join(f"{name:>15}" for name in ranges))
        table = tables[use_rollups] = {}
        for view, calls in views.items():
            table[view] = [timed(marts, f, calls, args.repeat) for f in ranges.values()]
            print(f"{view:20}" + "".join(f"{seconds:>13.3f} s" for seconds in table[view]))
    now = tables[True]
    slowest = max(now, key=lambda view: now[view][-1])
    before = tables[False][slowest]
    print(
        f"\nslowest over all history: {slowest}, {now[slowest][-1]:.3f} s "
        f"(before: {before[-1]:.3f} s, {before[-1] / before[0]:.1f}x its latest day)"
    )
    print(f"widest/latest: {now[slowest][-1] / now[slowest][0]:.2f}")


if __name__ == "__main__":
    main()
