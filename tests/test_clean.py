"""The cleaner: every era's shape, every known defect, and whole-or-nothing output."""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
import sys
from datetime import UTC, datetime

import orjson
import pyarrow.parquet as pq
import pytest

from gharchive_assets.clean import HourFailed, clean_hour_into_lake
from gharchive_assets.clean.archive_lines import MAX_INFLATE
from gharchive_assets.contract.archive_hour import ArchiveHour
from gharchive_assets.lake.resource import LocalLakeResource
from tests.conftest import REAL_HOUR
from tests.synthetic import ArchiveFaker, bad_lines, write_hour

HOUR = datetime(2015, 1, 1, 5, tzinfo=UTC)
KEY = "2015-01-01-05:00"
CLEAN = "clean/events/date=2015-01-01/hour=05/events.parquet"
QUARANTINE = "quarantine/2015/01/01/2015-01-01-5.jsonl"


@pytest.fixture
def lake(tmp_path) -> LocalLakeResource:
    return LocalLakeResource(root=str(tmp_path / "lake"))


def clean(lake, raw_file, fraction=0.01):
    result = clean_hour_into_lake(lake, ArchiveHour.at(HOUR), raw_file, fraction)
    table = pq.read_table(lake.uri(CLEAN)).to_pylist()
    return result, table


def quarantined(lake) -> list[dict]:
    return [json.loads(line) for line in open(lake.uri(QUARANTINE), encoding="utf-8")]


def test_events_era_hour_keeps_every_record_and_value(tmp_path, lake):
    records = ArchiveFaker(seed=1).hour(HOUR, 800, late=5)
    result, rows = clean(lake, write_hour(tmp_path, HOUR, records))
    assert result.rows == len(rows) == 805 and result.quarantined_lines == 0
    by_id = {row["id"]: row for row in rows}
    for record in records:
        row = by_id[record["id"]]
        payload = record["payload"]
        assert row["type"] == record["type"]
        assert row["created_at"].strftime("%Y-%m-%dT%H:%M:%SZ") == record["created_at"]
        assert row["archive_hour"] == HOUR
        assert (row["actor_id"], row["actor_login"]) == (
            record["actor"]["id"],
            record["actor"]["login"],
        )
        assert (row["repo_id"], row["repo_name"]) == (record["repo"]["id"], record["repo"]["name"])
        assert row["org_login"] == record.get("org", {}).get("login")
        assert orjson.loads(row["payload"]) == payload
        if record["type"] == "PushEvent":
            assert (row["push_size"], row["push_distinct_size"]) == (
                payload["size"],
                payload["distinct_size"],
            )
        if record["type"] == "PullRequestEvent":
            pull = payload["pull_request"]
            assert row["number"] == payload["number"]
            assert row["pr_merged"] is pull["merged"]
            assert row["pr_additions"] == pull["additions"]
            assert (row["pr_merged_at"] is None) == (pull["merged_at"] is None)
            assert row["pr_created_at"] == datetime.fromisoformat(pull["created_at"])
        if record["type"] == "IssuesEvent":
            assert row["issue_labels"] == [label["name"] for label in payload["issue"]["labels"]]
        if record["type"] == "IssueCommentEvent":
            assert row["comment_on_pull_request"] is ("pull_request" in payload["issue"])
        if record["type"] == "ReleaseEvent":
            assert row["release_tag_name"] == payload["release"]["tag_name"]
    late = [row for row in rows if row["created_at"] < HOUR]
    assert len(late) == 5, "events created before the hour are kept"
    assert result.counts_by_type["PushEvent"] == sum(r["type"] == "PushEvent" for r in records)


def test_trimmed_payloads_give_nulls_never_zeros(tmp_path, lake):
    records = ArchiveFaker(seed=2).hour(HOUR, 400, era="trimmed")
    _, rows = clean(lake, write_hour(tmp_path, HOUR, records))
    pushes = [row for row in rows if row["type"] == "PushEvent"]
    pulls = [row for row in rows if row["type"] == "PullRequestEvent"]
    assert pushes and pulls
    assert all(row["push_size"] is None and row["push_distinct_size"] is None for row in pushes)
    assert all(row["pr_additions"] is None and row["pr_merged"] is None for row in pulls)
    assert all(row["number"] is not None for row in pulls)


def test_timeline_era_records_map_to_the_same_columns(tmp_path, lake):
    records = ArchiveFaker(seed=3).hour(HOUR, 400, era="timeline")
    result, rows = clean(lake, write_hour(tmp_path, HOUR, records))
    assert result.rows == 400 and result.quarantined_lines == 0
    assert all(row["id"].startswith("tl-") and not row["id"].isdigit() for row in rows)
    assert len({row["id"] for row in rows}) == 400
    first_ids = [row["id"] for row in rows]
    _, again = clean(lake, write_hour(tmp_path, HOUR, records))
    assert [row["id"] for row in again] == first_ids, "surrogate ids are the same on every run"

    for record, row in zip(records, rows, strict=True):
        assert row["actor_login"] == record["actor"] and row["actor_id"] is None
        created = datetime.fromisoformat(record["created_at"])
        assert row["created_at"] == created.astimezone(UTC), "offsets are converted to UTC"
        repository = record.get("repository")
        if repository:
            assert row["repo_name"] == f"{repository['owner']}/{repository['name']}"
            assert row["org_login"] == repository.get("organization")
        else:
            assert row["repo_name"] is None
    timeline_only = {"FollowEvent", "GistEvent", "DownloadEvent", "ForkApplyEvent", "TeamAddEvent"}
    assert timeline_only & {row["type"] for row in rows}


def test_unknown_event_types_are_kept(tmp_path, lake):
    record = ArchiveFaker(seed=4).hour(HOUR, 1)[0] | {"type": "BrandNewEvent"}
    _, rows = clean(lake, write_hour(tmp_path, HOUR, [record]))
    assert [row["type"] for row in rows] == ["BrandNewEvent"]


def test_bad_lines_are_quarantined_and_recoverable_ones_kept(tmp_path, lake):
    good = ArchiveFaker(seed=5, rich=True).hour(HOUR, 5000)
    defects = bad_lines(good[0])
    path = write_hour(tmp_path, HOUR, good, extra_lines=list(defects.values()))
    with gzip.open(path) as handle:  # several blocks: line numbers carry across them
        assert len(handle.read()) > MAX_INFLATE
    result, rows = clean(lake, path, fraction=0.05)

    first_bad_line = len(good) + 1
    line_of = {name: first_bad_line + i for i, name in enumerate(defects)}
    entries = {entry["line"]: entry for entry in quarantined(lake)}
    unrecoverable = {"not_json", "truncated", "blank", "no_type", "no_created_at", "json_array"}
    assert set(entries) == {line_of[name] for name in unrecoverable}
    assert "no type" in entries[line_of["no_type"]]["reason"]
    assert "no created_at" in entries[line_of["no_created_at"]]["reason"]
    assert "truncated" in entries[line_of["truncated"]]["reason"]
    assert entries[line_of["not_json"]]["text"] == "this is not json"
    assert result.quarantined_lines == len(unrecoverable)

    # Recovered: one record per line, two for the concatenated line.
    recovered = {
        "concatenated": 2,
        "nul_bytes": 1,
        "escaped_nul": 1,
        "invalid_utf8": 1,
        "lone_surrogate": 1,
    }
    assert result.rows == len(good) + sum(recovered.values())
    # Every mended line counts, escaped NULs (valid JSON, sanitised) included.
    assert result.repaired_lines == 5
    assert result.repairs["NUL or lone surrogate escapes removed"] == 1
    for row in rows:
        for value in row.values():
            if isinstance(value, str):
                value.encode("utf-8")  # no lone surrogates
                assert "\x00" not in value
    escaped = [row for row in rows if row["payload"] and '"note"' in row["payload"]]
    assert escaped and all("\\u0000" not in row["payload"] for row in escaped)


def test_a_20_mb_line_is_kept(tmp_path, lake):
    record = ArchiveFaker(seed=6).hour(HOUR, 1)[0]
    record["payload"]["huge"] = "x" * (20 << 20)
    _, rows = clean(lake, write_hour(tmp_path, HOUR, [record]))
    assert len(orjson.loads(rows[0]["payload"])["huge"]) == 20 << 20


def test_multi_member_gzip_is_read_whole(tmp_path, lake):
    records = ArchiveFaker(seed=7).hour(HOUR, 300)
    path = tmp_path / "2015-01-01-5.json.gz"
    with open(path, "wb") as handle:
        for part in (records[:100], records[100:]):
            handle.write(gzip.compress(b"\n".join(orjson.dumps(r) for r in part) + b"\n"))
    result, _ = clean(lake, path)
    assert result.rows == 300


def test_mostly_garbage_fails_the_hour_and_keeps_the_quarantine(tmp_path, lake):
    good = ArchiveFaker(seed=8).hour(HOUR, 50)
    path = write_hour(tmp_path, HOUR, good, extra_lines=[b"garbage %d" % i for i in range(50)])
    with pytest.raises(
        HourFailed,
        match=r"hour 2015-01-01-05:00: 50 of 100 lines .*GHARCHIVE_MAX_QUARANTINE_FRACTION",
    ):
        clean_hour_into_lake(lake, ArchiveHour.at(HOUR), path)
    assert lake.size(CLEAN) is None, "nothing reaches clean/"
    assert len(quarantined(lake)) == 50
    assert (
        clean_hour_into_lake(lake, ArchiveHour.at(HOUR), path, max_quarantine_fraction=0.6).rows
        == 50
    )


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "is empty"),
        (b"<html><body>502 Bad Gateway</body></html>", "is not gzip.*HTML"),
        (gzip.compress(b'{"a": 1}\n' * 5000)[:-40], "truncated"),
        (gzip.compress(b'{"a": 1}\n' * 10)[:20] + b"\xff" * 30, "corrupt|truncated"),
    ],
    ids=["zero-bytes", "html-page", "truncated-gzip", "corrupt-gzip"],
)
def test_unreadable_files_fail_the_hour_and_write_nothing(tmp_path, lake, content, message):
    path = tmp_path / "2015-01-01-5.json.gz"
    path.write_bytes(content)
    with pytest.raises(HourFailed, match=message) as failure:
        clean_hour_into_lake(lake, ArchiveHour.at(HOUR), path)
    assert "hour 2015-01-01-05:00" in str(failure.value)
    assert "2015-01-01-5.json.gz" in str(failure.value)
    assert "re-download" in str(failure.value)
    assert lake.size(CLEAN) is None
    assert not any((tmp_path / "lake").rglob("*.parquet"))


@pytest.mark.slow
def test_command_line_writes_the_lake_layout_and_prints_json(tmp_path):
    records = ArchiveFaker(seed=9).hour(HOUR, 200)
    src = write_hour(tmp_path / "in", HOUR, records, extra_lines=[b"oops"])
    dest = tmp_path / "out"
    completed = subprocess.run(
        [sys.executable, "-m", "gharchive_assets.clean", str(src), str(dest), "--partition", KEY],
        capture_output=True,
        text=True,
        check=True,
    )
    summary = json.loads(completed.stdout)
    assert (summary["rows"], summary["quarantined"]) == (200, 1)
    assert summary["seconds"] >= 0
    footer = pq.read_metadata(dest / CLEAN)
    assert footer.num_rows == 200
    assert footer.metadata[b"raw_sha256"].decode() == hashlib.sha256(src.read_bytes()).hexdigest()
    assert (dest / QUARANTINE).exists()


@pytest.mark.slow
def test_command_line_reports_a_bad_file(tmp_path):
    src = tmp_path / "2015-01-01-5.json.gz"
    src.write_bytes(b"<html>404</html>")
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "gharchive_assets.clean",
            str(src),
            str(tmp_path),
            "--partition",
            KEY,
        ],
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 1
    assert "hour 2015-01-01-05:00" in completed.stderr and not completed.stdout


@pytest.mark.skipif(
    not REAL_HOUR.exists(), reason="the shared real archive hour is not beside the repo"
)
def test_real_2015_hour(tmp_path, lake):
    result = clean_hour_into_lake(lake, ArchiveHour.of("2015-01-01-01:00"), REAL_HOUR)
    with gzip.open(REAL_HOUR) as handle:
        records = [json.loads(line) for line in handle]
    assert result.rows == len(records) == 7427
    assert result.quarantined_lines == 0
    table = pq.read_table(lake.uri("clean/events/date=2015-01-01/hour=01/events.parquet"))
    assert sorted(table.column("id").to_pylist()) == sorted(r["id"] for r in records)
    pushes = [r for r in records if r["type"] == "PushEvent"]
    assert result.counts_by_type["PushEvent"] == len(pushes)
    assert sum(v for v in table.column("push_size").to_pylist() if v) == sum(
        r["payload"]["size"] for r in pushes
    )


def test_general_path_payload_column_keeps_nulls_and_text():
    """The general path's payloads (orjson bytes, None) become one string column."""
    import pyarrow as pa

    from gharchive_assets.clean.block_parser import payload_array

    column = payload_array((b'{"a":"caf\xc3\xa9"}', None, b'{"b":2}', b"{}"))
    assert column.type == pa.string()
    assert column.to_pylist() == ['{"a":"café"}', None, '{"b":2}', "{}"]
    assert column.null_count == 1
