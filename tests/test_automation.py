"""The schedule and the catch-up sensor, on a real instance and the loopback archive."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import dagster as dg
from dagster._core.test_utils import create_run_for_test

from gharchive_assets.core.partitions import hourly_partitions
from gharchive_assets.core.settings import Settings
from gharchive_assets.definitions import build_definitions
from gharchive_assets.defs.automation import DONE_WHEN_MATERIALISED, plan_catch_up
from gharchive_assets.source.resource import ArchiveSourceResource
from tests.pipeline import materialize_hours

NOW = datetime(2015, 1, 2, 1, 30, tzinfo=UTC)  # the newest complete hour is 2015-01-02-00:00


def test_schedule_asks_for_the_hour_that_just_ended(archive_server, tmp_path):
    defs = build_definitions(Settings(base_url=archive_server.url, data_dir=tmp_path))
    schedule = defs.get_schedule_def("hourly_archive_schedule")
    assert schedule.cron_schedule == "20 * * * *"

    def tick(moment: datetime):
        context = dg.build_schedule_context(
            scheduled_execution_time=moment,
            resources={"source": ArchiveSourceResource(base_url=archive_server.url)},
            repository_def=defs.get_repository_def(),
        )
        return schedule.evaluate_tick(context)

    (request,) = tick(datetime(2015, 1, 2, 1, 20, tzinfo=UTC)).run_requests
    assert request.partition_key == request.run_key == "2015-01-02-00:00"
    # An hour the source has not published yet is left to the sensor.
    late = tick(datetime(2015, 1, 1, 20, 20, tzinfo=UTC))
    assert not late.run_requests
    assert late.skip_message.startswith("hour 2015-01-01-19:00: not published yet")


def test_sensor_requests_only_published_hours_not_done_or_running(archive_server):
    partitions = hourly_partitions("2015-01-01-00:00")
    source = ArchiveSourceResource(base_url=archive_server.url)
    with dg.instance_for_test() as instance:
        for asset_key in DONE_WHEN_MATERIALISED:
            instance.report_runless_asset_event(
                dg.AssetMaterialization(asset_key=asset_key, partition="2015-01-01-22:00")
            )
        create_run_for_test(
            instance,
            status=dg.DagsterRunStatus.STARTED,
            tags={"dagster/partition": "2015-01-01-23:00"},
        )
        # 19:00-21:00 are not on the server (404); 00:00 is published and not done.
        plan = plan_catch_up(NOW, instance, source, partitions, {}, lookback_hours=6)
        assert plan.to_request == ["2015-01-02-00:00"]
        assert plan.skipped == {
            "2015-01-01-23:00": "a run is queued or in progress",
            "2015-01-01-21:00": "not published yet",
            "2015-01-01-20:00": "not published yet",
            "2015-01-01-19:00": "not published yet",
        }
        heads = len(archive_server.requests)
        again = plan_catch_up(NOW, instance, source, partitions, plan.cursor, lookback_hours=6)
        assert again.to_request == []
        assert again.skipped["2015-01-02-00:00"] == "requested by an earlier tick"
        assert len(archive_server.requests) == heads, "missing hours are not asked about again"
        json.dumps(again.cursor)  # the cursor is plain JSON


def test_sensor_is_wired_to_the_job_the_source_and_the_lake(archive_server, tmp_path):
    from gharchive_assets.lake.target import lake_for

    settings = Settings(base_url=archive_server.url, data_dir=tmp_path)
    defs = build_definitions(settings)
    sensor = defs.get_sensor_def("archive_hours_sensor")
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(
            instance=instance,
            resources={
                "source": ArchiveSourceResource(base_url=archive_server.url),
                "lake": lake_for(settings),
            },
            repository_def=defs.get_repository_def(),
        )
        result = sensor.evaluate_tick(context)
    # Today's hours are not on the loopback server: nothing to request, a cursor kept.
    assert result.run_requests == []
    assert result.skip_message.startswith("nothing to catch up on")
    assert json.loads(result.cursor)["checked"]


def test_events_table_carries_a_freshness_policy(tmp_path):
    defs = build_definitions(Settings(data_dir=tmp_path))
    spec = defs.resolve_assets_def(dg.AssetKey(["gharchive", "events"])).specs_by_key[
        dg.AssetKey(["gharchive", "events"])
    ]
    assert spec.freshness_policy.fail_window.to_timedelta() == timedelta(hours=3)


def test_assets_show_the_target_they_run_on(tmp_path):
    local = build_definitions(Settings(data_dir=tmp_path))
    gcp = build_definitions(
        Settings(data_dir=tmp_path, target="gcp", gcp_project="p", gcs_bucket="b")
    )
    key = dg.AssetKey(["gharchive", "events"])

    def kinds(defs):
        return defs.resolve_assets_def(key).specs_by_key[key].kinds

    assert kinds(local) == {"duckdb"} and kinds(gcp) == {"bigquery"}


def test_sensor_requests_a_republished_hour_once(generated_archive, tmp_path):
    """A done hour in the look-back whose file changed at the source (here its
    size) is requested again, once; an unchanged one is not."""
    import shutil

    from gharchive_assets.lake.target import lake_for

    mirror = tmp_path / "mirror"
    shutil.copytree(generated_archive["dir"], mirror)
    settings = Settings(base_url=mirror.as_uri(), data_dir=tmp_path / "data")
    source = ArchiveSourceResource(base_url=settings.base_url)
    lake = lake_for(settings)
    partitions = hourly_partitions("2015-01-01-00:00")
    with dg.instance_for_test() as instance:
        # The raw files in the lake as the raw step keeps them; the hours done.
        raw = [dg.AssetKey("raw_archive_hour")]
        assert materialize_hours(
            settings, instance, "2015-01-01-23:00", "2015-01-02-00:00", selection=raw
        ).success
        for key in ("2015-01-01-23:00", "2015-01-02-00:00"):
            for asset_key in DONE_WHEN_MATERIALISED[1:]:
                instance.report_runless_asset_event(
                    dg.AssetMaterialization(asset_key=asset_key, partition=key)
                )
        quiet = plan_catch_up(NOW, instance, source, partitions, {}, 2, lake=lake)
        assert quiet.republished == {} and quiet.to_request == []

        changed = mirror / "2015-01-01-23.json.gz"
        changed.write_bytes(changed.read_bytes() + (mirror / "2015-01-02-0.json.gz").read_bytes())
        later = NOW + timedelta(hours=1)
        plan = plan_catch_up(later, instance, source, partitions, quiet.cursor, 3, lake=lake)
        assert list(plan.republished) == ["2015-01-01-23:00"]
        assert "size" in plan.republished["2015-01-01-23:00"]
        (request,) = plan.run_requests()
        assert request.partition_key == "2015-01-01-23:00"
        assert request.run_key.startswith("2015-01-01-23:00 (republished ")

        once = plan_catch_up(later + timedelta(hours=1), instance, source, partitions,
                             plan.cursor, 3, lake=lake)  # fmt: skip
        assert once.republished == {}, "the same change is requested once"
