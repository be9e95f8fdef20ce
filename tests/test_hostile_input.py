"""Hostile archive files lose nothing: a mirror that adds nothing, a trimmed
copy beside a full one, a damaged secondary file, one deep or huge line,
impossible timestamps and ids. Each hour loads exactly, or its bad lines are
quarantined with their reason. The cleaner alone, no Dagster: seconds."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime

import orjson
import pyarrow.parquet as pq
import pytest

from gharchive_assets.clean import block_parser
from gharchive_assets.clean.archive_lines import MAX_NESTING_DEPTH
from gharchive_assets.clean.cleaner import HourFailed, clean_archive_file
from gharchive_assets.contract.archive_hour import ArchiveHour
from tests.synthetic import ArchiveFaker, trimmed_copy, write_hour

HOUR = datetime(2024, 3, 1, 12, tzinfo=UTC)
KEY = "2024-03-01-12:00"


@pytest.fixture(scope="module")
def events():
    return ArchiveFaker(seed=24).hour(HOUR, 500)


def clean(tmp_path, primary, *others, fraction=0.01, **options):
    workdir = tmp_path / "work"
    workdir.mkdir(exist_ok=True)
    others = [(f"s{i}", path) for i, path in enumerate(others, start=2)]
    result = clean_archive_file(
        primary, ArchiveHour.of(KEY), workdir, fraction, others, "s1", **options
    )
    rows = pq.read_table(result.events_file).to_pylist()
    quarantine = []
    if result.quarantine_file:
        quarantine = [json.loads(line) for line in result.quarantine_file.read_text().splitlines()]
    return result, rows, quarantine


def source(tmp_path, name, records, extra_lines=()):
    return write_hour(tmp_path / name, HOUR, records, extra_lines=list(extra_lines))


@pytest.mark.parametrize("share", ["same", "subset"])
def test_a_second_source_that_adds_nothing_loads_the_hour(tmp_path, events, share):
    second = events if share == "same" else events[100:300]
    result, rows, _ = clean(tmp_path, source(tmp_path, "a", events), source(tmp_path, "b", second))
    assert sorted(r["id"] for r in rows) == sorted(e["id"] for e in events)
    assert result.coverage["events_by_source"] == {"s1": 500, "s2": len(second)}
    assert result.coverage["overlap_events"] == len(second)
    assert result.coverage["events_in_full_by_source"] == {"s1": 500, "s2": 0}


def test_the_fuller_copy_wins_whatever_the_order_of_sources(tmp_path, events):
    pushes = [e for e in events if e["type"] == "PushEvent"]
    assert len(pushes) > 50
    for order in ("trimmed first", "full first"):
        copies = [[trimmed_copy(e) for e in events], events]
        if order == "full first":
            copies.reverse()
        files = [source(tmp_path / order, name, c) for name, c in zip("ab", copies, strict=True)]
        result, rows, _ = clean(tmp_path / order, *files)
        by_id = {r["id"]: r for r in rows}
        assert len(rows) == len(events)
        for push in pushes:
            assert by_id[push["id"]]["push_size"] == push["payload"]["size"], order
        kept = result.coverage["events_in_full_by_source"]
        changed = sum(trimmed_copy(e) != e for e in events)
        if order == "trimmed first":
            assert kept == {"s1": len(events) - changed, "s2": changed}
            assert result.coverage["fuller_copies_preferred"] == changed
        else:
            assert kept == {"s1": len(events), "s2": 0}
            assert result.coverage["fuller_copies_preferred"] == 0


@pytest.mark.parametrize("damage", ["truncated", "corrupt", "not gzip"])
def test_a_damaged_secondary_file_is_dropped_and_the_hour_loads(tmp_path, events, damage):
    primary = source(tmp_path, "a", events[:400])
    secondary = source(tmp_path, "b", events[300:])
    data = secondary.read_bytes()
    if damage == "truncated":
        secondary.write_bytes(data[: len(data) // 2])
    elif damage == "corrupt":
        secondary.write_bytes(data[:200] + bytes(b ^ 0xFF for b in data[200:400]) + data[400:])
    else:
        secondary.write_bytes(b"<html>502 Bad Gateway</html>")
    result, rows, _ = clean(tmp_path, primary, secondary)
    assert sorted(r["id"] for r in rows) == sorted(e["id"] for e in events[:400])
    assert list(result.dropped_sources) == ["s2"]
    assert "2024-03-01-12.json.gz" in result.dropped_sources["s2"]
    assert set(result.coverage["events_by_source"]) == {"s1"}


def test_a_damaged_primary_file_still_fails_its_hour_clearly(tmp_path, events):
    primary = source(tmp_path, "a", events)
    primary.write_bytes(primary.read_bytes()[:-40])
    with pytest.raises(HourFailed, match=r"hour 2024-03-01-12:00: .* truncated"):
        clean(tmp_path, primary, source(tmp_path, "b", events))


def nested(depth: int) -> dict:
    value: object = "bottom"
    for _ in range(depth - 2):  # the record and its payload are two levels
        value = {"x": value}
    return value  # type: ignore[return-value]


def test_one_deeply_nested_line_is_quarantined_not_the_hour(tmp_path, events):
    deep = {**events[0], "id": "1", "payload": nested(10_000)}
    at_cap = {**events[1], "id": "2", "payload": nested(MAX_NESTING_DEPTH)}
    lines = [b'{"id":"1","type":"PushEvent","payload":' + b'{"x":' * 10_000 + b"1" + b"}" * 10_000]
    lines.append(orjson.dumps(at_cap))
    _result, rows, quarantine = clean(tmp_path, source(tmp_path, "a", events[2:], lines))
    assert deep["id"] not in {r["id"] for r in rows}
    assert "2" in {r["id"] for r in rows}, "a line nested exactly to the cap is kept"
    assert len(rows) == 499
    assert [q["reason"] for q in quarantine] == [f"nested deeper than {MAX_NESTING_DEPTH} levels"]


def test_the_scanner_and_the_general_path_share_the_depth_cap():
    assert block_parser.SCANNER is None or block_parser.SCANNER.MAX_DEPTH == MAX_NESTING_DEPTH


def test_a_line_over_the_length_cap_is_quarantined_unread(tmp_path, events):
    cap = 1 << 20
    huge = orjson.dumps({**events[0], "id": "77", "payload": {"body": "x" * (3 * cap)}})
    just_under = orjson.dumps({**events[1], "id": "78", "payload": {"body": "y" * (cap - 500)}})
    path = source(tmp_path, "a", events[2:], [huge, just_under])
    _result, rows, quarantine = clean(tmp_path, path, max_line_bytes=cap)
    assert len(rows) == 499 and "78" in {r["id"] for r in rows}
    (entry,) = quarantine
    assert entry["bytes"] == len(huge) and entry["truncated"] is True
    assert entry["reason"].startswith(f"line too long: {len(huge):,} bytes")
    assert "GHARCHIVE_MAX_LINE_BYTES" in entry["reason"]
    assert entry["line"] == 499
    assert len(entry["text"]) <= cap


def test_a_huge_last_line_without_newline_is_quarantined(tmp_path, events):
    path = tmp_path / "2024-03-01-12.json.gz"
    body = b"\n".join(orjson.dumps(e) for e in events[:10]) + b"\n" + b"z" * (3 << 20)
    path.write_bytes(gzip.compress(body))
    _, rows, quarantine = clean(tmp_path, path, fraction=0.1, max_line_bytes=1 << 20)
    assert len(rows) == 10
    assert [q["line"] for q in quarantine] == [11]


def test_impossible_timestamps_are_quarantined_with_their_reason(tmp_path, events):
    bad = [
        orjson.dumps({**events[0], "id": "9001", "created_at": "1970-01-01T00:00:00Z"}),
        orjson.dumps({**events[1], "id": "9002", "created_at": "2099-01-01T00:00:00Z"}),
    ]
    late = {**events[2], "id": "9003", "created_at": "2024-02-24T12:00:00Z"}  # 6 days late
    result, rows, quarantine = clean(tmp_path, source(tmp_path, "a", [*events[3:], late], bad))
    ids = {r["id"] for r in rows}
    assert "9003" in ids and not ids & {"9001", "9002"}
    assert all(q["reason"].startswith("created_at outside the hour's window: ") for q in quarantine)
    assert result.quarantine_reasons == {"created_at outside the hour's window": 2}
    assert {q["line"] for q in quarantine} == {499, 500}
    first = min(r["created_at"] for r in rows)
    assert first.year == 2024 and result.first_created_at is not None


def test_ids_that_are_not_github_ids_are_quarantined(tmp_path, events):
    bad = [
        orjson.dumps({**events[0], "id": "abc"}),
        orjson.dumps({**events[1], "id": -7}),
        orjson.dumps({**events[2], "id": 12.5}),
    ]
    numeric = {**events[3], "id": 4242}
    _, rows, quarantine = clean(tmp_path, source(tmp_path, "a", [*events[4:], numeric], bad))
    assert "4242" in {r["id"] for r in rows}
    assert len(rows) == 497
    reasons = sorted(q["reason"] for q in quarantine)
    assert reasons == sorted(
        f"id not a GitHub event id: {v!r} (digits only)" for v in ("abc", -7, 12.5)
    )


def test_a_span_from_an_older_load_with_impossible_timestamps_stays_a_few_days():
    """The dbt step's days from a ledger row written before the window existed:
    its ends and the window's days, never the 47,000 days between."""
    from datetime import date, timedelta

    from gharchive_assets.warehouse.resource import days_touched

    hour = datetime(2024, 3, 1, 12)
    days = days_touched(hour, datetime(1970, 1, 1), datetime(2099, 1, 1, 5))
    window = {date(2024, 2, 23) + timedelta(days=n) for n in range(9)}
    assert days == window | {date(1970, 1, 1), date(2099, 1, 1)}
    ordinary = days_touched(hour, datetime(2024, 2, 29, 23), datetime(2024, 3, 1, 12, 59))
    assert ordinary == {date(2024, 2, 29), date(2024, 3, 1)}


def test_the_hours_a_failed_hour_held_back_are_run_again_in_ranges():
    from gharchive_assets.reporting.held_back import held_back_ranges
    from gharchive_assets.reporting.run_summary import HourFacts, RunFacts

    failed = HourFacts(failures=[("clean_events_hour", "HourFailed: corrupt")])
    lost = HourFacts(missing_at_source=True)  # recorded by the raw step, not yet loaded
    facts = RunFacts("r", "FAILURE", 1.0, failures=[("clean_events_hour", "1 of 6 hours")])
    facts.hours = {"2015-01-01-02:00": failed, "2015-01-01-04:00": lost}
    ranges = held_back_ranges(facts, "2015-01-01-00:00", "2015-01-01-05:00")
    assert ranges == [
        ("2015-01-01-00:00", "2015-01-01-01:00"),
        ("2015-01-01-03:00", "2015-01-01-05:00"),
    ]
    assert held_back_ranges(facts, "2015-01-01-02:00", "2015-01-01-02:00") == []
    dbt_only = RunFacts("r", "FAILURE", 1.0, failures=[("analytics_models", "dbt")])
    assert held_back_ranges(dbt_only, "2015-01-01-00:00", "2015-01-01-05:00") == [], (
        "a dbt failure holds back no hour: the rows are loaded"
    )
    assert failed.state == "failed" and lost.state == "missing at source"
    assert HourFacts(failures=[("raw_archive_hour", "HourNotPublished: x")]).state == (
        "not published yet"
    )
