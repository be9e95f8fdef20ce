"""Coverage: measured while cleaning, equal to what the test computes from the
records itself, and turned by dbt into coverage_hourly with degraded hours
flagged by the documented rule."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
import yaml

from gharchive_assets.clean import clean_archive_file
from gharchive_assets.clean.coverage import (
    DEGRADED_BELOW,
    MIN_TRAILING_HOURS,
    TRAILING_HOURS,
    LedgerCoverage,
    degradation,
)
from gharchive_assets.contract.archive_hour import ArchiveHour
from gharchive_assets.core.dbt_project import DBT_PROJECT_DIR, dbt_executable
from gharchive_assets.reporting.daily_report import DayCoverage, coverage_html
from gharchive_assets.warehouse.duckdb_warehouse import DuckDBWarehouseResource
from tests.synthetic import ArchiveFaker, write_hour


def expected_coverage(records: list[dict], hour: datetime) -> dict:
    """The figures, from the records as the archive serves them."""
    ids = {int(r["id"]) for r in records if str(r.get("id", "")).isdigit()}
    # Timeline records carry offsets (-08:00): compare instants, in UTC.
    moments = [datetime.fromisoformat(r["created_at"].replace("Z", "+00:00")) for r in records]
    outside = sum(not hour <= moment < hour + timedelta(hours=1) for moment in moments)
    low, high = (min(ids), max(ids)) if ids else (None, None)
    return {
        "events": len(records),
        "distinct_event_ids": len(ids),
        "min_event_id": low,
        "max_event_id": high,
        "capture_ratio": len(ids) / (high - low + 1) if ids else None,
        "outside_hour_share": outside / len(records),
    }


@pytest.mark.parametrize("era", ["events", "timeline"])
def test_the_cleaner_measures_coverage_as_the_records_give_it(tmp_path, era):
    hour = (
        datetime(2025, 6, 1, 12, tzinfo=UTC)
        if era == "events"
        else datetime(2013, 6, 1, 12, tzinfo=UTC)
    )
    records = ArchiveFaker(seed=7).hour(hour, 800, era=era, late=40)
    # A gap in the ids, as when the archive misses part of the stream.
    if era == "events":
        records = [r for r in records if int(r["id"]) % 3]
    raw = write_hour(tmp_path / "raw", hour, records)
    result = clean_archive_file(raw, ArchiveHour.at(hour), tmp_path)
    figures = {name: result.coverage[name] for name in expected_coverage(records, hour)}
    assert figures == pytest.approx(expected_coverage(records, hour))
    assert result.coverage["raw_bytes"] == raw.stat().st_size
    if era == "timeline":
        assert figures["capture_ratio"] is None and figures["min_event_id"] is None
    else:
        assert 0 < figures["capture_ratio"] < 1


def ledger_row(hour: datetime, events: int, low: int, distinct: int, span: int) -> tuple:
    return (hour.replace(tzinfo=None), events, distinct, low, low + span - 1, 0.0, events * 300)


@pytest.mark.slow
def test_coverage_hourly_flags_degraded_hours_by_the_trailing_median(tmp_path):
    """30 hours of steady capture, then one at a third of it, one with half
    the events, and a Timeline-era hour with no ids; built by dbt itself."""
    warehouse = DuckDBWarehouseResource(path=str(tmp_path / "warehouse.duckdb"))
    start = datetime(2025, 6, 1, tzinfo=UTC)
    rows = [ledger_row(start + timedelta(hours=i), 1000, 10_000 * i, 900, 1000) for i in range(30)]
    rows.append(ledger_row(start + timedelta(hours=30), 1000, 300_000, 300, 1000))  # capture 0.3
    rows.append(ledger_row(start + timedelta(hours=31), 400, 310_000, 360, 400))  # few events
    timeline = (datetime(2013, 1, 1), 900, 0, None, None, 0.0, 1)
    with warehouse.connect() as connection:
        warehouse._ensure_tables(connection)
        columns = ("archive_hour, rows, distinct_event_ids, min_event_id, max_event_id, "
                   "outside_hour_share, raw_bytes")  # fmt: skip
        for row in [*rows, timeline]:
            connection.execute(
                f"insert into gharchive.loaded_hours ({columns}, loaded_at) "
                "values (?, ?, ?, ?, ?, ?, ?, now())",
                list(row),
            )
    completed = subprocess.run(
        [dbt_executable(), "build", "--select", "coverage_hourly", "coverage_daily",
         "--indirect-selection", "cautious",  # not the tests of coverage_monthly
         "--target", "local", "--vars", json.dumps({"duckdb_path": warehouse.path}),
         "--target-path", str(tmp_path / "target")],
        cwd=DBT_PROJECT_DIR, capture_output=True, text=True,
        env={**os.environ, "DBT_LOG_PATH": str(tmp_path)},
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-3000:]

    hourly = {
        hour: (capture, degraded)
        for hour, capture, degraded in warehouse.query(
            "select archive_hour, capture_ratio, is_degraded from analytics.coverage_hourly"
        )
    }
    degraded = sorted(hour for hour, (_, flagged) in hourly.items() if flagged)
    assert degraded == [rows[30][0], rows[31][0]]
    assert hourly[rows[0][0]][0] == pytest.approx(0.9)
    assert hourly[rows[30][0]][0] == pytest.approx(0.3)
    assert hourly[datetime(2013, 1, 1)] == (None, False)
    (day,) = warehouse.query(
        "select hours_loaded, hours_degraded, events, is_degraded from analytics.coverage_daily "
        "where day = date '2025-06-02'"
    )
    assert day == (8, 2, 6 * 1000 + 1000 + 400, True)

    # The asset check on gharchive/events judges by the same rule, in Python.
    ledger = warehouse.query(
        "select archive_hour, rows, distinct_event_ids, min_event_id, max_event_id "
        "from gharchive.loaded_hours"
    )
    judged = sorted(
        hour
        for hour, *figures in ledger
        if degradation(
            LedgerCoverage(*figures),
            warehouse.coverage_of_hours_before(
                ArchiveHour.at(hour.replace(tzinfo=UTC)), TRAILING_HOURS
            ),
        )
    )
    assert judged == degraded


def test_the_degraded_rule_is_the_same_in_python_and_dbt():
    variables = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
    assert (
        variables["coverage_degraded_below"],
        variables["coverage_trailing_hours"],
        variables["coverage_min_trailing_hours"],
    ) == (DEGRADED_BELOW, TRAILING_HOURS, MIN_TRAILING_HOURS)


def test_the_daily_report_warns_of_degraded_and_missing_hours():
    day = datetime(2025, 6, 2)
    coverage = DayCoverage(23, 0.41, [day.replace(hour=3)], [day.replace(hour=7)])
    page = coverage_html(coverage)
    assert "Coverage: 23 of 24 hours loaded; capture ratio 0.410" in page
    assert "1 missing at the source (07:00) and 1 degraded (03:00) and 1 not loaded yet" in page
    whole = coverage_html(DayCoverage(24, 0.9, [], []))
    assert "Coverage: 24 of 24 hours loaded" in whole and "warning" not in whole
