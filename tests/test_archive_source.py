"""Downloading hours over real HTTP on loopback, and what a bad answer does."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime

import dagster as dg
import pyarrow.parquet as pq
import pytest

from gharchive_assets.contract.archive_hour import ArchiveHour
from gharchive_assets.core.settings import Settings
from gharchive_assets.lake.paths import clean_path
from gharchive_assets.source.resource import (
    ArchiveSourceResource,
    HourNotPublished,
    IncompleteDownload,
    SlowDownload,
    SourceError,
)
from tests.pipeline import materialize_hours, query

KEY = "2015-01-01-22:00"
HOUR = ArchiveHour.of(KEY)
FILE = "2015-01-01-22.json.gz"


@pytest.fixture
def faults(archive_server):
    yield archive_server.faults
    archive_server.faults.clear()


def test_download_streams_the_file_with_its_hash(archive_server, generated_archive, tmp_path):
    source = ArchiveSourceResource(base_url=archive_server.url)
    download = source.download(HOUR, tmp_path / "hour.json.gz")
    served = (generated_archive["dir"] / FILE).read_bytes()
    assert (tmp_path / "hour.json.gz").read_bytes() == served
    assert download.sha256 == hashlib.sha256(served).hexdigest()
    assert download.size == len(served)
    assert download.last_modified and download.url == f"{archive_server.url}/{FILE}"
    assert source.describe(HOUR).size == len(served)


def test_file_mirror_works_like_http(generated_archive, tmp_path):
    source = ArchiveSourceResource(base_url=generated_archive["dir"].as_uri())
    download = source.download(HOUR, tmp_path / "hour.json.gz")
    assert download.size == (generated_archive["dir"] / FILE).stat().st_size
    with pytest.raises(HourNotPublished):
        source.describe(ArchiveHour.of("2015-01-03-00:00"))


@pytest.mark.parametrize(
    "fault, error, message",
    [
        (("status", 404), HourNotPublished, "404: the hour is not published"),
        (("status", 500), SourceError, "HTTP 500"),
        (("truncate", 1000), IncompleteDownload, "received 1,000 bytes"),
    ],
)
def test_bad_answers_raise_clear_errors(archive_server, faults, tmp_path, fault, error, message):
    faults[FILE] = fault
    with pytest.raises(error, match=message):
        ArchiveSourceResource(base_url=archive_server.url, backoff_seconds=0.01).download(
            HOUR, tmp_path / "x"
        )


def test_transient_errors_are_tried_again_with_backoff(archive_server, faults, tmp_path):
    faults[FILE] = ("flaky", 2)
    messages = []
    source = ArchiveSourceResource(base_url=archive_server.url, backoff_seconds=0.01)
    download = source.download(HOUR, tmp_path / "x", messages.append)
    assert download.size > 0
    assert [m.split(" (")[0] for m in messages] == ["try 1 failed", "try 2 failed"]

    faults[FILE] = ("flaky", 10)
    with pytest.raises(SourceError, match=r"HTTP 503 .*\(after 3 tries\)"):
        ArchiveSourceResource(
            base_url=archive_server.url, attempts=3, backoff_seconds=0.01
        ).download(HOUR, tmp_path / "y")

    faults[FILE] = ("status", 404)
    requests = len(archive_server.requests)
    with pytest.raises(HourNotPublished):
        ArchiveSourceResource(base_url=archive_server.url, backoff_seconds=0.01).download(
            HOUR, tmp_path / "z"
        )
    assert len(archive_server.requests) == requests + 1, "a 404 is not tried again"


def test_a_cut_download_leaves_nothing_in_the_lake(settings, instance, faults):
    faults[FILE] = ("truncate", 5000)
    result = materialize_hours(settings, instance, KEY, KEY)
    assert not result.success
    assert not list(settings.lake_root.rglob("*.json.gz"))
    assert not list((settings.lake_root / ".staging").rglob("*"))
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "2015-01-01-22:00" in failure.event_specific_data.error.message
    assert "run the hour again" in failure.event_specific_data.error.message


def test_one_bad_hour_does_not_stop_the_others_in_its_step(settings, instance, faults):
    faults["2015-01-01-23.json.gz"] = ("status", 503)
    result = materialize_hours(
        settings, instance, "2015-01-01-22:00", "2015-01-02-00:00", selection=None
    )
    assert not result.success
    raw = sorted(p.name for p in settings.lake_root.rglob("*.json.gz"))
    assert raw == ["2015-01-01-22.json.gz", "2015-01-02-0.json.gz"]
    # Within one run a ranged step materialises all its hours or none, so the
    # others wait; `make run` then runs them again (tests/test_make_run.py).
    assert (
        not settings.warehouse_path.exists()
        or not query(settings, "select count(*) from gharchive.events")[0][0]
    ), "no hour of a failed run's batch reaches the warehouse in that run"


def test_an_error_page_saved_as_the_hour_fails_it_and_keeps_the_raw_file(
    settings, instance, faults
):
    page = b"<html><body><h1>503 Service Unavailable</h1></body></html>"
    faults[FILE] = ("body", page)
    result = materialize_hours(settings, instance, KEY, KEY)
    assert not result.success
    raw = settings.lake_root / "raw/2015/01/01" / FILE
    assert raw.read_bytes() == page, "the raw file is kept for inspection"
    assert not list(settings.lake_root.rglob("*.parquet")), "nothing reaches clean/"
    assert (
        not settings.warehouse_path.exists()
        or not query(settings, "select count(*) from gharchive.events")[0][0]
    )
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    message = failure.event_specific_data.error.message
    assert "hour 2015-01-01-22:00" in message and "not gzip" in message and "HTML" in message
    assert failure.step_key == "clean_events_hour"


def test_an_old_hour_missing_at_the_source_is_recorded_and_loaded_empty(settings, instance):
    # The server has no 2015-01-01-21:00; 2015 is long past GH Archive's publication window.
    result = materialize_hours(settings, instance, "2015-01-01-21:00", "2015-01-01-22:00")
    assert result.success
    raw = instance.fetch_materializations(
        dg.AssetRecordsFilter(
            asset_key=dg.AssetKey("raw_archive_hour"), asset_partitions=["2015-01-01-21:00"]
        ),
        limit=1,
    ).records[0]
    assert raw.asset_materialization.metadata["missing_at_source"].value is True
    rows = dict(query(settings, "select archive_hour, rows from gharchive.loaded_hours"))
    assert rows[datetime(2015, 1, 1, 21)] == 0
    assert rows[datetime(2015, 1, 1, 22)] > 0
    empty = settings.lake_root / "clean/events/date=2015-01-01/hour=21/events.parquet"
    assert pq.read_metadata(empty).num_rows == 0
    assert not (settings.lake_root / "raw/2015/01/01/2015-01-01-21.json.gz").exists()


def test_a_recent_hour_not_published_fails_and_is_asked_again(settings, instance):
    recent = replace(settings, missing_after_hours=10**7)  # 2015 counts as recent here
    result = materialize_hours(recent, instance, "2015-01-01-21:00", "2015-01-01-21:00")
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "may still come" in failure.event_specific_data.error.message


def test_the_step_retry_policy_outlasts_a_longer_outage(settings, instance, faults):
    # Five 503s: more than the download's four tries, fewer than a step retry's.
    faults[FILE] = ("flaky", 5)
    result = materialize_hours(settings, instance, KEY, KEY)
    assert result.success
    retried = [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert [e.step_key for e in retried] == ["raw_archive_hour"]
    assert query(settings, "select count(*) from gharchive.events")[0][0] > 0


def test_a_bad_file_is_not_retried(settings, instance, faults):
    faults[FILE] = ("body", b"<html>oops</html>")
    result = materialize_hours(settings, instance, KEY, KEY)
    assert not result.success
    assert not [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]


def test_a_lost_hour_is_known_from_the_lake_alone_until_it_appears(
    settings, instance, generated_archive, tmp_path
):
    """The raw step leaves a marker in the lake; the clean step reads only the lake,
    so a fresh instance (no record of the raw step) still loads the hour as empty.
    A later download of the hour removes the marker."""
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    served = generated_archive["dir"] / FILE
    (mirror / FILE).write_bytes(served.read_bytes())  # the next hour: the mirror works
    local = replace(settings, base_url=mirror.as_uri())
    lost = "2015-01-01-21:00"
    lake_and_warehouse = [
        dg.AssetKey("raw_archive_hour"),
        dg.AssetKey("clean_events_hour"),
        dg.AssetKey(["gharchive", "events"]),
    ]
    assert materialize_hours(local, instance, lost, lost, selection=lake_and_warehouse).success
    marker = local.lake_root / "raw/2015/01/01/2015-01-01-21.missing.json"
    recorded = json.loads(marker.read_text())
    assert recorded["partition"] == lost and recorded["url"].endswith("2015-01-01-21.json.gz")

    clean_file = local.lake_root / "clean/events/date=2015-01-01/hour=21/events.parquet"
    clean_file.unlink()
    with dg.instance_for_test() as fresh:
        downstream = lake_and_warehouse[1:]
        assert materialize_hours(local, fresh, lost, lost, selection=downstream).success
    assert pq.read_metadata(clean_file).num_rows == 0

    (mirror / "2015-01-01-21.json.gz").write_bytes(served.read_bytes())
    assert materialize_hours(local, instance, lost, lost, selection=lake_and_warehouse).success
    assert not marker.exists()
    assert pq.read_metadata(clean_file).num_rows > 0
    rows = dict(query(local, "select archive_hour, rows from gharchive.loaded_hours"))
    assert rows[datetime(2015, 1, 1, 21)] == pq.read_metadata(clean_file).num_rows


def test_a_backoff_under_a_second_is_said_as_it_is(archive_server, faults, tmp_path):
    faults[FILE] = ("flaky", 1)
    said = []
    source = ArchiveSourceResource(base_url=archive_server.url, backoff_seconds=0.5)
    source.download(HOUR, tmp_path / "hour.json.gz", said.append)
    assert any("trying again in 0.5 s" in line for line in said), said


def test_what_tells_a_republished_file():
    from gharchive_assets.source.resource import SourceFile, source_changes

    recorded = {"last_modified": "Thu, 01 Jan 2015 23:05:00 GMT", "etag": '"a"'}
    same = SourceFile("u", 100, recorded["last_modified"], '"a"')
    assert source_changes(same, 100, recorded) == []
    assert source_changes(same, 100, None) == [], "no record: the size alone decides"
    assert source_changes(SourceFile("u", 100, None, None), 100, recorded) == []
    newer = SourceFile("u", 100, "Fri, 02 Jan 2015 00:00:00 GMT", '"a"')
    assert source_changes(newer, 100, recorded) == [
        "last_modified 'Thu, 01 Jan 2015 23:05:00 GMT' -> 'Fri, 02 Jan 2015 00:00:00 GMT'"
    ]
    assert source_changes(SourceFile("u", 100, None, '"b"'), 100, recorded) == [
        "etag '\"a\"' -> '\"b\"'"
    ]
    assert source_changes(SourceFile("u", 101, None, None), 100, recorded) == [
        "size 100 -> 101 bytes"
    ]


@pytest.mark.parametrize("where", ["no-such-host.invalid", "refused"])
def test_a_source_that_cannot_be_reached_fails_fast_naming_the_variable(where, tmp_path):
    from gharchive_assets.source.resource import SourceUnreachable
    from tests.loopback import free_port

    host = where if where != "refused" else f"127.0.0.1:{free_port()}"
    source = ArchiveSourceResource(base_url=f"http://{host}", backoff_seconds=0.2)
    said = []
    with pytest.raises(SourceUnreachable) as failure:
        source.download(HOUR, tmp_path / "hour.json.gz", said.append)
    assert len(said) == 1, "tried once more, not four times"
    message = str(failure.value)
    assert "cannot be reached" in message and "GHARCHIVE_BASE_URL" in message
    assert "(after 2 tries)" in message and "download interrupted" not in message


@pytest.mark.slow
def test_a_same_size_republish_without_validators_is_said_and_found_by_sha256(tmp_path, instance):
    """A mirror that sends neither ETag nor Last-Modified: the raw step says once
    that only the size tells a republish, and verify_sha256 finds one that keeps it."""
    import gzip

    from tests.archive_server import ArchiveServer
    from tests.synthetic import ArchiveFaker

    records = ArchiveFaker(seed=8).hour(datetime(2015, 1, 1, 22, tzinfo=UTC), 50)
    login = records[0]["actor"]["login"]
    renamed = "Z" * len(login)

    def publish(events):  # stored, not deflated: one changed letter keeps the size
        text = b"\n".join(json.dumps(e).encode() for e in events) + b"\n"
        (tmp_path / "mirror" / FILE).write_bytes(gzip.compress(text, compresslevel=0, mtime=0))

    (tmp_path / "mirror").mkdir()
    publish(records)
    first_size = (tmp_path / "mirror" / FILE).stat().st_size
    lake_steps = [dg.AssetKey("raw_archive_hour"), dg.AssetKey("clean_events_hour")]
    with ArchiveServer(tmp_path / "mirror", validators=False) as server:
        settings = Settings(base_url=server.url, data_dir=tmp_path / "data")
        assert materialize_hours(settings, instance, KEY, KEY, selection=lake_steps).success
        publish([{**records[0], "actor": {**records[0]["actor"], "login": renamed}}, *records[1:]])
        assert (tmp_path / "mirror" / FILE).stat().st_size == first_size

        again = materialize_hours(settings, instance, KEY, KEY, selection=lake_steps)
        warnings = [
            entry.user_message
            for entry in instance.all_logs(again.run_id)
            if entry.dagster_event is None and entry.level >= 30
        ]
        assert sum("gives neither ETag nor Last-Modified" in w for w in warnings) == 1
        assert "verify_sha256: true" in next(w for w in warnings if "neither ETag" in w)
        logins = pq.read_table(settings.lake_root / clean_path(HOUR)).column("actor_login")
        assert renamed not in logins.to_pylist(), "the size alone cannot tell"

        verified = materialize_hours(
            settings, instance, KEY, KEY, selection=lake_steps,
            run_config={"ops": {"raw_archive_hour": {"config": {"verify_sha256": True}}}},
        )  # fmt: skip
        assert verified.success
        logins = pq.read_table(settings.lake_root / clean_path(HOUR)).column("actor_login")
        assert renamed in logins.to_pylist()


def test_a_mirror_dripping_its_file_is_given_up_and_says_how_far_it_got(
    faults, archive_server, tmp_path
):
    """A server that announces the file and sends a byte now and then: the
    download is given up once a window brings less than the minimum rate,
    saying how far it got, instead of hanging with nothing written."""
    faults[FILE] = ("drip", 0.05)
    said: list[str] = []
    source = ArchiveSourceResource(
        base_url=archive_server.url, attempts=1, min_bytes_per_second=1_000, rate_window_seconds=1
    )
    with pytest.raises(SlowDownload, match=r"B/s a download must keep\); \d+ bytes in all"):
        source.download(HOUR, tmp_path / "hour.json.gz", said.append)
    assert 0 < (tmp_path / "hour.json.gz").stat().st_size < 1_000
