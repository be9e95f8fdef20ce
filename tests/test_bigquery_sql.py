"""What BigQuery makes of the models' SQL: every read of ``events`` and of a
daily mart carries a literal filter on its partitioning column, and no model
reads the payload, in every way dbt builds them: an incremental run of some
days, a first build or full refresh, and a plain `dbt build` with no days.

``events`` has require_partition_filter, so BigQuery refuses a read of it
without such a filter (`where true` was one). The emulator enforces no
partition filter and reports no bytes processed, so the check is on the SQL
itself: dbt compiles every model and test for the bigquery target (no
warehouse needed: ``compile_as_incremental``), and sqlglot finds each read.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlglot
from sqlglot import exp

from tests.dbt_compile import compile_hourly_run_for_bigquery

# Starts processes, servers or emulators: not in the fast lane.
pytestmark = pytest.mark.slow

RUN_VARS = {
    "run_days": ["2024-01-01", "2024-01-02"],
    "window_start": "2024-01-01 23:00:00",
    "window_end": "2024-01-02 01:00:00",
}
# Relations whose rows are events, row for row: the source (partitioned by the
# day of created_at) and the views over it.
EVENT_VIEWS = {"events"}


# How dbt builds: (run vars, incremental?).
MODES = {
    "incremental run": (RUN_VARS, True),
    "first build or full refresh of a run's days": (RUN_VARS, False),
    "plain dbt build": ({}, True),
    "first plain dbt build": ({}, False),
}


@pytest.fixture(scope="module")
def compiled(tmp_path_factory) -> dict[str, dict]:
    """The manifest of each way of building, compiled for the bigquery target
    by dbt processes started together (each is mostly its own parse)."""
    with ThreadPoolExecutor(max_workers=len(MODES)) as pool:
        futures = {
            mode: pool.submit(
                compile_hourly_run_for_bigquery,
                tmp_path_factory.mktemp("compiled"),
                run_vars,
                incremental=incremental,
            )
            for mode, (run_vars, incremental) in MODES.items()
        }
        return {mode: future.result() for mode, future in futures.items()}


@pytest.fixture(scope="module")
def hourly_run(compiled) -> dict:
    """The manifest of an hourly run compiled for the bigquery target."""
    return compiled["incremental run"]


@pytest.fixture(scope="module", params=list(MODES))
def build(request, compiled) -> dict:
    return compiled[request.param]


def filters_literally(where: exp.Expression | None, column: str) -> bool:
    """Whether ``where`` compares ``column`` with a constant."""
    if where is None:
        return False
    for predicate in where.find_all(exp.GTE, exp.GT, exp.LT, exp.LTE, exp.EQ, exp.In):
        left = predicate.this
        others = predicate.expressions if isinstance(predicate, exp.In) else [predicate.expression]
        constant = others and all(not list(o.find_all(exp.Column)) for o in others)
        if isinstance(left, exp.Column) and left.name == column and constant:
            return True
    return False


def partitioned_reads(manifest: dict) -> dict[str, str]:
    """Relation name -> the column a read of it must filter on."""
    reads = {name: "created_at" for name in EVENT_VIEWS}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model":
            continue
        if node["name"].startswith("stg_gharchive__"):
            reads[node["name"]] = "created_at"
        elif node["name"] == "int_events__deduped":  # a table of events by event_day
            reads[node["name"]] = "event_day"
        elif (node["config"].get("partition_by") or {}).get("field") == "month":  # rollups
            reads[node["name"]] = "month"
        elif (node["config"].get("partition_by") or {}).get("field") == "day" or (
            node["name"] == "int_actor_actions_daily"  # a view of daily aggregates
        ):
            reads[node["name"]] = "day"
    return reads


def executed_sql(manifest: dict):
    """(node, SQL) of what an hourly run executes: incremental models and tests.
    View models are definitions, read only through what selects from them."""
    for node in manifest["nodes"].values():
        if node["resource_type"] == "test" or (
            node["resource_type"] == "model" and node["config"]["materialized"] != "view"
        ):
            yield node, node["compiled_code"]


def test_every_read_of_events_or_a_daily_mart_has_a_literal_partition_filter(build):
    reads = partitioned_reads(build)
    assert {"events", "daily_event_counts", "repo_activity_daily", "repo_activity_monthly"} <= set(
        reads
    )
    unfiltered, checked = [], 0
    for node, sql in executed_sql(build):
        tree = sqlglot.parse_one(sql, read="bigquery")
        for table in tree.find_all(exp.Table):
            column = reads.get(table.name)
            if column is None or not table.db:  # not a relation, or a CTE's name
                continue
            select = table.find_ancestor(exp.Select)
            checked += 1
            if not filters_literally(select.args.get("where") if select else None, column):
                unfiltered.append(f"{node['name']} reads {table.name} without a literal {column}")
    assert checked > 50, "the check found the reads it is about"
    assert not unfiltered, "\n".join(unfiltered)


def test_no_model_reads_the_payload(hourly_run):
    readers = [
        node["name"]
        for node in hourly_run["nodes"].values()
        if node["resource_type"] == "model"
        and any(
            column.name == "payload"
            for column in sqlglot.parse_one(node["compiled_code"], read="bigquery").find_all(
                exp.Column
            )
        )
    ]
    assert readers == []


def test_the_check_sees_a_read_without_a_filter():
    """The rule itself: a read of events with no literal bound on created_at fails it."""
    tree = sqlglot.parse_one(
        "select * from gharchive.events where archive_hour = @h "
        "and created_at >= (select max(day) from marts)",
        read="bigquery",
    )
    select = next(tree.find_all(exp.Table)).find_ancestor(exp.Select)
    assert not filters_literally(select.args.get("where"), "created_at")
    bounded = sqlglot.parse_one(
        "select * from gharchive.events where created_at >= cast('2024-01-01' as timestamp)",
        read="bigquery",
    )
    select = next(bounded.find_all(exp.Table)).find_ancestor(exp.Select)
    assert filters_literally(select.args.get("where"), "created_at")


def test_every_incremental_model_replaces_whole_day_partitions(hourly_run):
    """dbt-bigquery's default strategy is a merge, which without a unique key
    appends: a re-run would double the day. Every incremental model overwrites
    the run's days' partitions instead."""
    incremental = {
        node["name"]: node["config"]
        for node in hourly_run["nodes"].values()
        if node["resource_type"] == "model" and node["config"]["materialized"] == "incremental"
    }
    assert "int_events__deduped" in incremental and "repo_activity_daily" in incremental
    wrong = {
        name: config.get("incremental_strategy")
        for name, config in incremental.items()
        if config.get("incremental_strategy") != "insert_overwrite"
        or (config.get("partition_by") or {}).get("data_type") != "date"
        or not config.get("partitions")
    }
    assert wrong == {}


def test_a_first_build_with_days_writes_those_days_only(compiled):
    """One BigQuery job may write at most 4,000 partitions, and the archive has
    about 5,800 days: a first build (a new mart, a full refresh) of a run's
    days reads those days, never every day (the 1970 bound), so its CREATE
    TABLE writes that many partitions. A plain build with no days still reads
    every day: BigQuery refuses it past 4,000 days (docs/gcp.md). The monthly
    rollups read every day on a first build and write a partition a month
    (about 190)."""

    def every_day_reads(manifest: dict) -> list[str]:
        return sorted(
            node["name"]
            for node, sql in executed_sql(manifest)
            if node["resource_type"] == "model"
            and (node["config"].get("partition_by") or {}).get("granularity", "day") == "day"
            and "1970-01-01" in sql
        )

    assert every_day_reads(compiled["first build or full refresh of a run's days"]) == []
    assert "daily_event_counts" in every_day_reads(compiled["first plain dbt build"])
