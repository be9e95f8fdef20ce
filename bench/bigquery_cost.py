"""What a run bills on BigQuery, from the SQL dbt compiles and measured bytes.

BigQuery bills on-demand queries by the logical bytes of the columns a query
reads in the partitions (and clustered blocks) it cannot prune: a STRING is 2
bytes plus its UTF-8 length, INT64 and TIMESTAMP 8, BOOL 1, NULL 0. A MERGE or
DELETE bills every column of every partition it touches; an INSERT its source.
This:

1. cleans a generated 2024-size hour (``--events``, default 200,000) and
   measures each column's logical bytes per event, and the bytes of a
   dimension row (key, id, name, two timestamps);
2. compiles a run for the bigquery target (as tests/test_bigquery_sql.py does)
   and, for every model and test it executes, finds each read of ``events``
   (directly or through the staging views) and the columns it uses, and each
   read of a dimension;
3. prices the reads: one bounded by the run's hours (tests) scans the hours;
   one bounded by the run's days (models) scans the days; the de-duplicated
   table of the run's days is rewritten once (its days' partitions, billed
   whole by the overwrite's MERGE) and read by column. A dimension is a
   view over its days: a run that read one would scan all history, priced at
   ``--actors``, ``--repos``, ``--orgs`` keys a year (assumptions, stated:
   replace them with your counts). No run reads one (it builds and tests the
   dimensions' days); the line says so;
4. prices the swaps: a fresh hour is an INSERT of its staged rows; a re-load
   a MERGE that bills the day's partition;
5. prints two runs at one year of 2024-size history: an hourly run (one hour
   loaded, its day's models rebuilt: what the schedule does) and a backfill's
   day (24 hours a run, the models once), and the cost of the whole archive.

    python bench/bigquery_cost.py [--events 200000] [--price-per-tib 6.25]
        [--actors 20e6] [--repos 60e6] [--orgs 1e6]
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
from tests.dbt_compile import compile_hourly_run_for_bigquery  # noqa: E402

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
# A table of the run's days, de-duplicated once: a read takes its own columns.
DEDUPED = "int_events__deduped"


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


DIMENSIONS = {"dim_actors": ("actor_id", "actor_login"), "dim_repos": ("repo_id", "repo_name"),
              "dim_orgs": ("org_id", "org_login")}  # fmt: skip
# Whole archive (docs/backfills.md): events by era and days.
ARCHIVE_EVENTS, ARCHIVE_DAYS = 12.6e9, 5_775


def dimension_row_bytes(clean_file: Path) -> dict[str, dict[str, float]]:
    """Logical bytes of a dimension row's key and of the whole row, measured on
    the hour's values: key (the id as text, or a prefix and the name), id,
    name, first and last seen, is_bot for actors."""
    table = pq.read_table(clean_file)
    rows = {}
    for dimension, (id_column, name_column) in DIMENSIONS.items():
        names = table.column(name_column).drop_null()
        name = (pc.mean(pc.binary_length(names)).as_py() or 0) + 2
        ids = table.column(id_column).drop_null().cast("string")
        key = (pc.mean(pc.binary_length(ids)).as_py() or 0) + 2
        row = key + 8 + name + 16 + (1 if dimension == "dim_actors" else 0)
        rows[dimension] = {"key": key, "row": row}
    return rows


def executed(manifest: dict):
    for node in manifest["nodes"].values():
        if node["resource_type"] == "test" or (
            node["resource_type"] == "model" and node["config"]["materialized"] != "view"
        ):
            yield node, sqlglot.parse_one(node["compiled_code"], read="bigquery")


def reads_of_events(manifest: dict):
    """(node name, bounded by hours?, event columns used) per read of events."""
    names = {column.name for column in COLUMNS}
    for node, tree in executed(manifest):
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
                extra = {"created_at"} if table.name == DEDUPED else DEDUP_COLUMNS | {"created_at"}
                yield node["name"], by_hours, used | extra


def reads_of_dimensions(manifest: dict):
    """(node name, dimension, whole row?) per read of a dimension by what a run
    executes. A dimension is a view folding all its days: any such read scans
    all history (priced at ``--actors`` etc.). The run's own SQL reads only the
    dimensions' days (dim_*_by_day, by literal days), so this finds none."""
    for node, tree in executed(manifest):
        for table in tree.find_all(exp.Table):
            if table.db and table.name in DIMENSIONS:
                yield node["name"], table.name, True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000, help="events per hour")
    parser.add_argument("--price-per-tib", type=float, default=6.25)
    parser.add_argument("--actors", type=float, default=20e6, help="actors in a year")
    parser.add_argument("--repos", type=float, default=60e6, help="repositories in a year")
    parser.add_argument("--orgs", type=float, default=1e6, help="organisations in a year")
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
        dimension_rows = dimension_row_bytes(cleaned.events_file)
        manifest = compile_hourly_run_for_bigquery(Path(scratch) / "compiled", RUN_VARS)
    per_event = sum(sizes.values())
    print(f"logical bytes per event: {per_event:,.0f} (payload {sizes['payload']:,.0f})")
    for name, size in sorted(sizes.items(), key=lambda item: -item[1])[:8]:
        print(f"  {name:<24} {size:8,.1f}")

    keys = {"dim_actors": args.actors, "dim_repos": args.repos, "dim_orgs": args.orgs}
    dimension_size = {d: keys[d] * dimension_rows[d]["row"] for d in DIMENSIONS}
    key_size = {d: keys[d] * dimension_rows[d]["key"] for d in DIMENSIONS}
    for d in DIMENSIONS:
        print(
            f"  {d}: {keys[d] / 1e6:,.0f} M keys at one year (assumed), "
            f"{dimension_rows[d]['row']:.0f} bytes a row: {dimension_size[d] / 1e9:,.2f} GB"
        )

    hour_rows, day_rows = args.events, 24 * args.events
    reads = list(reads_of_events(manifest))
    dimension_reads = list(reads_of_dimensions(manifest))

    def events_read(hours_loaded: int, day_hours: int) -> float:
        """Reads of events: tests over the run's hours, models over its day."""
        return sum(
            sum(sizes[name] for name in used)
            * args.events
            * (hours_loaded if by_hours else day_hours)
            for _, by_hours, used in reads
        )

    dimensions = sum(dimension_size[d] if whole else key_size[d] for _, d, whole in dimension_reads)
    inserts = per_event * hour_rows  # a fresh hour: the staged rows
    # insert_overwrite of the de-duplicated table's days: a MERGE that deletes
    # the days' partitions (every column but the payload) before it inserts.
    deduped_row = per_event - sizes["payload"]

    def overwrites(day_hours: int) -> float:
        return deduped_row * args.events * day_hours

    tib, gb = 2**40, 1e9
    runs = {
        # The schedule: each hour loaded, then its day's models (12 hours of the
        # day in them on average; 24 at the day's last hour).
        "hourly run (its day's models over 12 hours)": (
            events_read(1, 12) + overwrites(12), inserts, dimensions),
        "hourly run at the day's last hour": (
            events_read(1, 24) + overwrites(24), inserts, dimensions),
        "backfill day (24 hours a run)": (
            events_read(24, 24) + overwrites(24), 24 * inserts, dimensions),
    }  # fmt: skip
    print(
        f"reads of events: {len(reads)}; reads of dimensions: {len(dimension_reads)} "
        f"({sum(dimension_size.values()) / gb:,.1f} GB of dimensions at one year)"
    )
    for label, (events, swaps, dims) in runs.items():
        total = events + swaps + dims
        print(
            f"{label}, at one year: {total / gb:,.1f} GB "
            f"(events {events / gb:,.1f}, swaps {swaps / gb:,.1f}, dimensions {dims / gb:,.1f}), "
            f"${total / tib * args.price_per_tib:,.3f}"
        )
    # A re-loaded hour's MERGE bills its day's partition (24 hours) as well.
    print(f"a re-loaded hour: + {per_event * day_rows / gb:,.1f} GB (its day's partition)")

    # The whole archive, a day a run: events and swaps by bytes an event; the
    # dimensions grow with history (0 to their size at the end, which is the
    # one-year size scaled by the archive's events over a 2024 year's, a bound).
    day_events, day_swaps, _ = runs["backfill day (24 hours a run)"]
    per_archive_event = (day_events + day_swaps) / day_rows
    growth = ARCHIVE_EVENTS / (HOURS_PER_YEAR * args.events)  # the end's size, in years
    dimensions_total = ARCHIVE_DAYS * dimensions * growth / 2  # 0 to the end's size
    archive = per_archive_event * ARCHIVE_EVENTS
    for label, total in (
        ("events and swaps", archive),
        ("reads of dimension views (none)", dimensions_total),
    ):
        print(
            f"whole archive, {label}: {total / tib:,.0f} TiB, "
            f"${total / tib * args.price_per_tib:,.0f} at ${args.price_per_tib}/TiB"
        )
    print(f"bytes an event, events and swaps: {per_archive_event:,.0f}")


if __name__ == "__main__":
    main()
