"""What each dashboard view bills on BigQuery, at a year and at the whole archive.

BigQuery bills a query by the logical bytes of the columns it reads in the
partitions it cannot prune (and, in a clustered table filtered by its
cluster key, the blocks it cannot skip). This runs every view's queries as
the dashboard sends them (:class:`MartsReader`, bench/dashboard.py's list of
views) against a small copy of the marts (tests/synthetic_marts.py and the
project's rollups), records each statement with its values, parses it with
sqlglot and prices each read of a mart:

- the partitions it reads, from its literal bound on ``day`` or ``month``
  (every read has one: tests/test_gcp_pipeline.py checks it);
- times the rows a partition holds at 2024 volume (PER_DAY; a month of a
  rollup holds ``--keys-per-month`` times a day's keys, 3 by default: the
  regulars plus those that come and go);
- times the logical bytes of the columns the statement uses (STRING 2 +
  its length, INT64, FLOAT64 and DATE 8, BOOL 1; lengths assumed in WIDTH);
- a read filtered by its cluster key (one repository's history) bills, per
  partition, one block at most: ``--block-mib`` (assumed 64 MiB) or the
  partition's bytes if fewer. Without that assumption it is bounded by the
  partitions' bytes, printed beside.

Ranges: the latest day, a year (twelve whole months), and the whole archive
(``--archive-months``, 190: 2011-02 to 2026-11, every month priced at 2024's
volume, so an upper bound). Also what a run's rollup rebuild reads: half a
month of its daily marts on average.

    python bench/bigquery_views.py [--keys-per-month 3] [--block-mib 64] [--price-per-tib 6.25]
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

import sqlglot
from sqlglot import exp

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from dashboard import VIEWS, run_view  # noqa: E402

from gharchive_assets.reporting.marts import Filters, MartsReader  # noqa: E402
from gharchive_assets.reporting.ranges import MONTHLY_ROLLUPS  # noqa: E402
from gharchive_assets.warehouse.duckdb_warehouse import DuckDBWarehouseResource  # noqa: E402
from tests.synthetic_marts import PER_DAY, build_daily_marts, build_rollups  # noqa: E402

# Rows a day of the small marts (not in PER_DAY): 2024 volume.
SMALL_PER_DAY = {
    "bot_share_daily": 15,
    "daily_event_counts": 15,
    "hourly_event_counts": 360,
    "coverage_daily": 1,
    "coverage_hourly": 24,
    "pull_request_merge_times_monthly": 1 / 30.4,  # a row a month
}
# Logical bytes of a value of each column (STRING: 2 + an assumed length).
WIDTH = {
    "repo_key": 2 + 9, "actor_key": 2 + 9, "org_key": 2 + 8, "repo_name": 2 + 28,
    "actor_login": 2 + 12, "org_login": 2 + 12, "event_type": 2 + 12, "label": 2 + 14,
    "latest_tag": 2 + 8, "created_by": 2 + 12, "is_bot": 1, "is_missing": 1, "is_degraded": 1,
}  # fmt: skip
NUMBER = 8  # INT64, FLOAT64, DATE, TIMESTAMP
FIRST = date(2024, 1, 1)


def recorded_statements(work: Path) -> dict[str, list[list[str]]]:
    """Per view, for the latest day and a year: the SQL it sends, values inlined."""
    path = work / "warehouse.duckdb"
    build_daily_marts(path, FIRST, 366, 0.0005)
    build_rollups(path, work)
    warehouse = DuckDBWarehouseResource(path=str(path))
    marts = MartsReader(warehouse, "duckdb")
    sent: list[str] = []

    def recording(sql: str, parameters=None):
        values = iter(parameters or [])
        sent.append(re.sub(r"\?", lambda _: literal(next(values)), sql))
        return DuckDBWarehouseResource.query(warehouse, sql, parameters)

    object.__setattr__(warehouse, "query", recording)
    last = FIRST + timedelta(days=365)  # 2024-12-31
    ranges = {"latest day": Filters(last, last), "a year": Filters(FIRST, last)}
    statements = {}
    for view, calls in VIEWS.items():
        for label, filters in ranges.items():
            sent.clear()
            run_view(marts, filters, calls)
            statements[(view, label)] = list(sent)
    return statements


def literal(value) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, date):
        return f"date '{value}'"
    return str(value)


def reads(sql: str):
    """(table, columns used, partitions read, filtered by its key) per read."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    for table in tree.find_all(exp.Table):
        select = table.find_ancestor(exp.Select)
        if select is None or not table.db:  # a CTE's name, not a relation
            continue
        # The marts are read in union branches and subqueries of their own:
        # the columns of the select that reads the table are its columns.
        columns = {column.name for column in select.find_all(exp.Column)}
        where = select.args.get("where")
        period = "month" if table.name.endswith("_monthly") else "day"
        yield table.name, columns | {period}, partitions(where, period), keyed(where)


def partitions(where, period: str) -> int:
    """Days or months the statement's literal bound on ``period`` admits."""
    for bound in where.find_all(exp.Between, exp.EQ) if where else []:
        if isinstance(bound.this, exp.Column) and bound.this.name == period:
            if isinstance(bound, exp.EQ):
                return 1
            low, high = (
                date.fromisoformat(b.name) for b in (bound.args["low"], bound.args["high"])
            )
            if period == "day":
                return (high - low).days + 1
            return (high.year - low.year) * 12 + high.month - low.month + 1
    raise AssertionError(f"a read without a bound on {period}: {where}")


def keyed(where) -> bool:
    return bool(where) and any(
        isinstance(eq.this, exp.Column) and eq.this.name in ("repo_key", "actor_key", "org_key")
        for eq in where.find_all(exp.EQ)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys-per-month", type=float, default=3.0)
    parser.add_argument("--block-mib", type=float, default=64.0)
    parser.add_argument("--archive-months", type=int, default=190)
    parser.add_argument("--price-per-tib", type=float, default=6.25)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        statements = recorded_statements(Path(scratch))

    def daily_rows(table: str) -> float:
        return PER_DAY.get(table) or SMALL_PER_DAY[table]

    def rows_per_partition(table: str) -> float:
        for daily, monthly in MONTHLY_ROLLUPS.items():
            if table == monthly:
                small = daily in SMALL_PER_DAY
                return daily_rows(daily) * (30.4 if small else args.keys_per_month)
        return daily_rows(table)

    def billed(sql: str, months: float) -> tuple[float, float]:
        """(bytes with clustered reads, bytes without clustering credit)."""
        clustered = unclustered = 0.0
        for table, columns, periods, by_key in reads(sql):
            # A year's statement priced for ``months`` months: scale its periods.
            scale = months / 12 if periods > 1 else 1
            width = sum(WIDTH.get(column, NUMBER) for column in columns)
            partition = rows_per_partition(table) * width
            whole = partition * periods * scale
            unclustered += whole
            if by_key:
                block = min(partition, args.block_mib * 2**20)
                clustered += block * math.ceil(periods * scale)
            else:
                clustered += whole
        return clustered, unclustered

    gb, tib = 1e9, 2**40
    print(
        f"{'view':20}{'latest day':>14}{'a year':>14}{'whole archive':>16}"
        f"{'  (no clustering credit: year, archive)':>42}"
    )
    for view in VIEWS:
        day = sum(billed(sql, 12)[0] for sql in statements[(view, "latest day")])
        year = [billed(sql, 12) for sql in statements[(view, "a year")]]
        archive = [billed(sql, args.archive_months) for sql in statements[(view, "a year")]]
        cells = [day, sum(c for c, _ in year), sum(c for c, _ in archive)]
        print(
            f"{view:20}" + "".join(f"{b / gb:>11.3f} GB" for b in cells[:2])
            + f"{cells[2] / gb:>13.3f} GB"
            + f"{sum(u for _, u in year) / gb:>22.3f} GB{sum(u for _, u in archive) / gb:>12.3f} GB"
        )  # fmt: skip
        if view == "overview":
            overview_archive = cells[2]
    print(
        f"the overview over the whole archive: ${overview_archive / tib * args.price_per_tib:.4f} "
        f"at ${args.price_per_tib}/TiB"
    )
    # A run rebuilds the months of its days: it reads those days' month of
    # each daily mart with a rollup (half a month on average), its columns.
    rebuild = 0.0
    for daily in MONTHLY_ROLLUPS:
        width = 120 if daily in PER_DAY else 60  # the daily row's columns the rollup sums
        rebuild += daily_rows(daily) * 15.2 * width
    print(
        f"a run's rollup rebuild (half a month of the daily marts, a row about 120 bytes): "
        f"{rebuild / gb:.2f} GB, ${rebuild / tib * args.price_per_tib:.4f}"
    )


if __name__ == "__main__":
    main()
