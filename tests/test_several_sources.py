"""Several sources (GHARCHIVE_SOURCES): each source's file kept byte for byte,
the clean hour their union with each event once, what each gave in coverage,
and an hour one source lacks for good loaded from the other."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest

from gharchive_assets.contract.archive_hour import ArchiveHour
from gharchive_assets.core.partitions import hourly_partitions
from gharchive_assets.core.settings import Settings, SettingsError, SourceSpec, load_settings
from gharchive_assets.definitions import build_definitions
from gharchive_assets.defs.automation import plan_catch_up
from gharchive_assets.lake.paths import raw_path
from gharchive_assets.source.resource import ArchiveSourceResource
from tests.pipeline import materialize_days, materialize_hours, query
from tests.synthetic import ArchiveFaker, write_hour
from tests.test_coverage import expected_coverage

HOUR = datetime(2015, 1, 1, 22, tzinfo=UTC)
NEXT = datetime(2015, 1, 1, 23, tzinfo=UTC)
KEY = "2015-01-01-22:00"
EVENTS = dg.AssetKey(["gharchive", "events"])
HOURLY_ASSETS = [dg.AssetKey("raw_archive_hour"), dg.AssetKey("clean_events_hour"), EVENTS]


@pytest.fixture(scope="module")
def two_sources(tmp_path_factory):
    """Source a serves events 0..699 of HOUR and all of NEXT; source b serves
    events 400..999 of HOUR (300 shared with a) and lacks NEXT."""
    root = tmp_path_factory.mktemp("sources")
    faker = ArchiveFaker(seed=16)
    hour, following = faker.hour(HOUR, 1000), faker.hour(NEXT, 500)
    write_hour(root / "a", HOUR, hour[:700])
    write_hour(root / "a", NEXT, following)
    write_hour(root / "b", HOUR, hour[400:])
    settings = Settings(
        base_url=(root / "a").as_uri(),
        sources=(SourceSpec("a", (root / "a").as_uri()), SourceSpec("b", (root / "b").as_uri())),
        data_dir=tmp_path_factory.mktemp("data"),
        http_backoff_seconds=0,
    )
    with dg.instance_for_test() as instance:
        # The three hourly assets only, in this process (the fast lane's): the
        # test of the coverage models builds them itself.
        run = materialize_hours(
            settings, instance, "2015-01-01-22:00", "2015-01-01-23:00", selection=HOURLY_ASSETS
        )
        assert run.success
        retried = [e.step_key for e in run.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
        assert not retried, "a step's retry would hide a first try's failure"
        raw = instance.fetch_materializations(
            dg.AssetRecordsFilter(
                asset_key=dg.AssetKey("raw_archive_hour"), asset_partitions=["2015-01-01-22:00"]
            ),
            limit=1,
        ).records[0]
    given = raw.asset_materialization.metadata["sources"].value
    assert {name: m["bytes"] for name, m in given.items()} == {
        name: (root / name / "2015-01-01-22.json.gz").stat().st_size for name in ("a", "b")
    }
    return settings, root, hour, following


def test_each_source_s_file_is_kept_byte_for_byte(two_sources):
    settings, root, _, _ = two_sources
    lake = settings.lake_root
    key = ArchiveHour.of("2015-01-01-22:00")
    assert (lake / raw_path(key)).read_bytes() == (root / "a/2015-01-01-22.json.gz").read_bytes()
    assert (lake / raw_path(key, "b")).read_bytes() == (
        root / "b/2015-01-01-22.json.gz"
    ).read_bytes()
    assert not (lake / raw_path(ArchiveHour.of("2015-01-01-23:00"), "b")).exists()


def test_the_clean_hour_is_the_union_with_each_event_once(two_sources):
    settings, _, hour, _ = two_sources
    rows = dict(query(settings, "select archive_hour, count(*) from gharchive.events group by 1"))
    assert rows == {HOUR.replace(tzinfo=None): 1000, NEXT.replace(tzinfo=None): 500}
    ids = {i for (i,) in query(settings, "select id from gharchive.events where archive_hour = ?",
                                [HOUR.replace(tzinfo=None)])}  # fmt: skip
    assert ids == {r["id"] for r in hour}


@pytest.mark.slow  # dbt builds the coverage models, in a process of its own
def test_coverage_says_what_each_source_gave(two_sources):
    settings, _, hour, following = two_sources
    with dg.instance_for_test() as instance:
        built = materialize_days(build_definitions(settings), instance, "2015-01-01", "2015-01-01")
    assert built.success
    (row,) = query(
        settings,
        "select events, min_event_id, max_event_id, capture_ratio, events_by_source, "
        "overlap_events from analytics.coverage_hourly where archive_hour = ?",
        [HOUR.replace(tzinfo=None)],
    )
    figures = expected_coverage(hour, HOUR)
    assert row[:3] == (1000, figures["min_event_id"], figures["max_event_id"])
    assert row[3] == pytest.approx(figures["capture_ratio"])
    assert json.loads(row[4]) == {"a": 700, "b": 600}
    assert row[5] == 300
    # The hour source b lacks: loaded from a alone.
    (alone,) = query(
        settings,
        "select events, events_by_source from analytics.coverage_hourly where archive_hour = ?",
        [NEXT.replace(tzinfo=None)],
    )
    assert alone == (len(following), None)


def test_the_sensor_and_the_schedule_wait_for_every_source(two_sources):
    """Hour 23:00 is at source a only: it waits for b within the publication
    window, and is requested from a once b has lacked it past that window."""
    settings, *_ = two_sources
    partitions = hourly_partitions(settings.start)
    source = ArchiveSourceResource(base_url=settings.base_url)
    within = datetime(2015, 1, 2, 0, 30, tzinfo=UTC)
    with dg.instance_for_test() as instance:
        plan = plan_catch_up(within, instance, source, partitions, {}, 3, settings=settings)
        assert plan.to_request == ["2015-01-01-22:00"]
        assert plan.skipped["2015-01-01-23:00"] == "not published yet by b"
        assert plan.skipped["2015-01-01-21:00"] == "not published yet"
        later = within + timedelta(hours=settings.missing_after_hours + 1)
        lookback = settings.missing_after_hours + 4
        plan = plan_catch_up(later, instance, source, partitions, {}, lookback, settings=settings)
        assert plan.to_request[:2] == ["2015-01-01-23:00", "2015-01-01-22:00"]

    defs = build_definitions(settings)
    schedule = defs.get_schedule_def("hourly_archive_schedule")
    context = dg.build_schedule_context(
        scheduled_execution_time=within.replace(minute=20),
        resources={"source": source},
        repository_def=defs.get_repository_def(),
    )
    result = schedule.evaluate_tick(context)
    assert not result.run_requests
    assert "hour 2015-01-01-23:00: not published yet by b" in result.skip_message


def test_the_variable_is_read_and_checked():
    settings = load_settings(
        {"GHARCHIVE_SOURCES": "gharchive=https://a.example,opendigger=file:///m@2026-09-06-00:00"}
    )
    assert settings.base_url == "https://a.example"
    (_, second) = settings.archive_sources
    assert (second.name, second.first_key) == ("opendigger", "2026-09-06-00:00")
    assert not second.serves(ArchiveHour.of("2026-09-05-23:00"))
    assert second.serves(ArchiveHour.of("2026-09-06-00:00"))
    assert load_settings({}).archive_sources == (SourceSpec("gharchive", settings_default_url()),)
    with pytest.raises(SettingsError, match="GHARCHIVE_SOURCES"):
        load_settings({"GHARCHIVE_SOURCES": "a=https://x,a=https://y"})


def settings_default_url() -> str:
    return Settings().base_url


def test_a_faithful_mirror_and_a_damaged_one_leave_the_hour_exact(tmp_path):
    """Source b serves exactly what a serves (a faithful mirror, most hours);
    source c's copy is cut short. The hour loads every event once, c is left
    out with a warning, and the ledger says what each gave in full."""
    faker = ArchiveFaker(seed=24)
    records = faker.hour(HOUR, 400)
    for name in "abc":
        write_hour(tmp_path / name, HOUR, records)
    damaged = tmp_path / "c" / "2015-01-01-22.json.gz"
    damaged.write_bytes(damaged.read_bytes()[:-100])
    settings = Settings(
        base_url=(tmp_path / "a").as_uri(),
        sources=tuple(SourceSpec(n, (tmp_path / n).as_uri()) for n in "abc"),
        data_dir=tmp_path / "data",
        http_backoff_seconds=0,
    )
    steps = [dg.AssetKey("raw_archive_hour"), dg.AssetKey("clean_events_hour"), EVENTS]
    with dg.instance_for_test() as instance:
        run = materialize_hours(settings, instance, KEY, KEY, selection=steps)
        assert run.success
        warnings = [
            entry.user_message
            for entry in instance.all_logs(run.run_id)
            if entry.dagster_event is None and entry.level >= 30
        ]
    assert any("source c left out" in w and "truncated" in w for w in warnings), warnings
    ids = [i for (i,) in query(settings, "select id from gharchive.events")]
    assert sorted(ids) == sorted(r["id"] for r in records)
    (row,) = query(
        settings,
        "select events_by_source, overlap_events, events_in_full_by_source "
        "from gharchive.loaded_hours",
    )
    assert json.loads(row[0]) == {"a": 400, "b": 400}
    assert row[1] == 400
    assert json.loads(row[2]) == {"a": 400, "b": 0}
