"""What an hourly run bills on BigQuery, from measured bytes per column.

BigQuery bills on-demand queries by the logical bytes of the columns a query
reads in the partitions (and clustered blocks) it cannot prune: a STRING is 2
bytes plus its UTF-8 length, INT64 and TIMESTAMP 8, BOOL 1, NULL 0. This:

1. cleans a generated 2024-size hour (``--events``, default 200,000) and
   measures each column's logical bytes per event;
2. compiles an hourly run for the bigquery target (as tests/test_bigquery_sql.py
   does) and, for every model and test it executes, finds each read of
   ``events`` (directly or through the staging views) and the event columns
   it uses;
3. prices each read: a read bounded by the run's hours (tests, clustered by
   ``archive_hour``) scans the hour; one bounded by the run's days (models)
   scans the day; the swap's MERGE scans the hour's rows, whole. Beside it,
   the same reads as the code made them before, at one year of history
   (``events`` partitioned by day of ``archive_hour``: a model's filter on
   ``event_day`` through a subquery pruned nothing, a test's on
   ``archive_hour`` kept one day, the swap read its day);
4. prices a backfill's day (24 hours a run: 24 swaps, the tests over its
   hours, the models once), with the swap as modelled (its hour's rows) and as
   its MERGE bills today (the day's partition as it stands, issue 26).

    python bench/bigquery_cost.py [--events 200000] [--price-per-tib 6.25]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import sqlglot
from sqlglot import exp

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from clean_hour import HOUR, KEY  # noqa: E402

from gharchive_assets.clean.cleaner import clean_archive_file  # noqa: E402
from gharchive_assets.contract.events_schema import COLUMNS  # noqa: E402
from gharchive_assets.dbt_project import compile_hourly_run_for_bigquery  # noqa: E402

HOURS_PER_YEAR = 8_760
# A run of the hour bench/clean_hour.py generates.
RUN_VARS = {
    "run_days": [f"{HOUR:%Y-%m-%d}"],
    "window_start": f"{HOUR:%Y-%m-%d %H:%M:%S}",
    "window_end": f"{HOUR + timedelta(hours=1):%Y-%m-%d %H:%M:%S}",
}
# What the staging view calls the events' columns, and which it reads for them.
RENAMED = {
    "event_id": ["id"], "event_type": ["type"], "event_day": ["created_at"],
    "is_public": ["public"], "is_bot": ["actor_login"],
    "actor_key": ["actor_id", "actor_login"], "repo_key": ["repo_id", "repo_name"],
    "org_key": ["org_id", "org_login"],
}  # fmt: skip
EVENT_RELATIONS = {"events", "int_events__deduped"}
DEDUP_COLUMNS = {"id", "created_at", "archive_hour"}  # keep_first_copy's window


def logical_bytes_per_event(clean_file: Path) -> dict[str, float]:
    table = pq.read_table(clean_file)
    sizes = {}
    for column in COLUMNS:
        values = table.column(column.name)
        if column.bigquery == "STRING":
            total = pc.sum(pc.add(pc.binary_length(values), 2)).as_py() or 0
        elif column.bigquery.startswith("ARRAY"):
            flat = pc.list_flatten(values)
            total = pc.sum(pc.add(pc.binary_length(flat), 2)).as_py() or 0
        else:
            width = 1 if column.bigquery == "BOOL" else 8
            total = width * (len(values) - values.null_count)
        sizes[column.name] = total / table.num_rows
    return sizes


def reads_of_events(manifest: dict):
    """(node name, bounded by hours?, event columns used) per read of events."""
    names = {column.name for column in COLUMNS}
    for node in manifest["nodes"].values():
        executed = node["resource_type"] == "test" or (
            node["resource_type"] == "model" and node["config"]["materialized"] != "view"
        )
        if not executed:
            continue
        tree = sqlglot.parse_one(node["compiled_code"], read="bigquery")
        used = set()
        for column in tree.find_all(exp.Column):
            used.update(RENAMED.get(column.name, [column.name] if column.name in names else []))
        for table in tree.find_all(exp.Table):
            if not table.db:
                continue
            if table.name in EVENT_RELATIONS or table.name.startswith("stg_gharchive__"):
                select = table.find_ancestor(exp.Select)
                where = select.args.get("where") if select else None
                by_hours = where is not None and any(
                    c.name == "archive_hour" for c in where.find_all(exp.Column)
                )
                yield node["name"], by_hours, used | DEDUP_COLUMNS | {"created_at"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000, help="events per hour")
    parser.add_argument("--price-per-tib", type=float, default=6.25)
    args = parser.parse_args()
    hour_file = HERE / "out" / f"hour-{args.events}.json.gz"
    if not hour_file.exists():
        hour_file.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, str(HERE / "clean_hour.py"), "--build", str(args.events), str(hour_file)],
            check=True,
        )  # fmt: skip
    with tempfile.TemporaryDirectory() as scratch:
        cleaned = clean_archive_file(hour_file, KEY, Path(scratch))
        sizes = logical_bytes_per_event(cleaned.events_file)
        manifest = compile_hourly_run_for_bigquery(Path(scratch) / "compiled", RUN_VARS)
    per_event = sum(sizes.values())
    print(f"logical bytes per event: {per_event:,.0f} (payload {sizes['payload']:,.0f})")
    for name, size in sorted(sizes.items(), key=lambda item: -item[1])[:8]:
        print(f"  {name:<24} {size:8,.1f}")

    hour_rows, day_rows, year_rows = args.events, 24 * args.events, HOURS_PER_YEAR * args.events
    reads = list(reads_of_events(manifest))
    now = before = 0.0
    for _, by_hours, used in reads:
        width = sum(sizes[name] for name in used)
        # Now: partitions by day of created_at, clustered by archive_hour.
        now += width * (hour_rows if by_hours else day_rows)
        # Before: partitions by day of archive_hour; models filtered on event_day
        # through a subquery (no pruning), tests on archive_hour (one day).
        before += width * (day_rows if by_hours else year_rows)
    now += per_event * hour_rows  # the swap deletes the hour's rows (clustered), whole
    before += per_event * day_rows  # it read the day's partition
    tib = 2**40
    for label, total in (("now", now), ("before, at one year of history", before)):
        print(
            f"hourly run, {label}: {len(reads)} reads of events, {total / 1e9:,.1f} GB a run, "
            f"{total * HOURS_PER_YEAR / tib:,.1f} TiB a year, "
            f"${total * HOURS_PER_YEAR / tib * args.price_per_tib:,.0f} a year "
            f"at ${args.price_per_tib}/TiB"
        )
    # A backfill's day: 24 swaps, the tests over its 24 hours, the models once.
    reads_of_a_day = sum(sum(sizes[name] for name in used) * day_rows for _, _, used in reads)
    swaps_of_hours = per_event * day_rows
    # The swap's MERGE as written today (WHEN NOT MATCHED BY SOURCE ... DELETE)
    # bills the day's partition as it stands: 0, 1, ... 23 hours of the day.
    swaps_of_days = per_event * hour_rows * sum(range(24)) + swaps_of_hours
    for label, swaps in (
        ("swaps of their hour", swaps_of_hours),
        ("swaps of the day", swaps_of_days),
    ):
        total = reads_of_a_day + swaps
        print(
            f"backfill day, {label}: {total / 1e9:,.1f} GB "
            f"(reads {reads_of_a_day / 1e9:,.1f}, swaps {swaps / 1e9:,.1f}), "
            f"{total / args.events / 24:,.0f} bytes an event"
        )


if __name__ == "__main__":
    main()
