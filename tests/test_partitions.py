"""Partition keys, file names, lake paths, dbt windows and settings."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import pytest

from gharchive_assets.contract.archive_hour import ArchiveHour, parse_key
from gharchive_assets.core.dbt_project import dbt_window_vars
from gharchive_assets.core.partitions import hourly_partitions
from gharchive_assets.core.settings import SettingsError, load_settings
from gharchive_assets.lake.paths import clean_path, quarantine_path, raw_path


def test_key_names_the_archive_file_with_an_unpadded_hour():
    hour = ArchiveHour.of("2015-01-01-01:00")
    assert hour.file_name == "2015-01-01-1.json.gz"
    assert ArchiveHour.of("2024-12-31-23:00").file_name == "2024-12-31-23.json.gz"
    assert raw_path(hour) == "raw/2015/01/01/2015-01-01-1.json.gz"
    assert raw_path(hour, "mirror") == "raw/2015/01/01/2015-01-01-1.mirror.json.gz"
    assert clean_path(hour) == "clean/events/date=2015-01-01/hour=01/events.parquet"
    assert quarantine_path(hour) == "quarantine/2015/01/01/2015-01-01-1.jsonl"
    assert hour.start == parse_key(hour.key) == datetime(2015, 1, 1, 1, tzinfo=UTC)
    assert str(hour) == hour.key == "2015-01-01-01:00"
    assert hour.shifted(-2).key == "2014-12-31-23:00" and hour.end == datetime(
        2015, 1, 1, 2, tzinfo=UTC
    )
    assert ArchiveHour.at(datetime(2015, 1, 1, 1, tzinfo=UTC)) == hour


@pytest.mark.parametrize("bad", ["2015-01-01", "2015-01-01-01:30", "2015-01-01 01:00"])
def test_malformed_keys_are_refused(bad):
    with pytest.raises(ValueError, match=r"partition key|on the hour"):
        ArchiveHour.of(bad)


def test_partitions_reach_back_to_the_archive_start_and_no_further():
    partitions = hourly_partitions("2011-02-12-00:00")
    keys = partitions.get_partition_keys_in_range(
        dg.PartitionKeyRange("2011-02-12-00:00", "2011-02-12-03:00")
    )
    assert keys == ["2011-02-12-00:00", "2011-02-12-01:00", "2011-02-12-02:00", "2011-02-12-03:00"]
    with pytest.raises(ValueError, match="before the archive's first hour"):
        hourly_partitions("2011-02-11-23:00")


def test_dbt_window_is_half_open_and_spans_a_range():
    partitions = hourly_partitions("2015-01-01-00:00")
    one = partitions.time_window_for_partition_key("2015-01-01-23:00")
    assert dbt_window_vars(one) == {
        "window_start": "2015-01-01 23:00:00",
        "window_end": "2015-01-02 00:00:00",
    }
    first = partitions.time_window_for_partition_key("2015-01-01-22:00")
    last = partitions.time_window_for_partition_key("2015-01-02-01:00")
    assert dbt_window_vars(dg.TimeWindow(first.start, last.end)) == {
        "window_start": "2015-01-01 22:00:00",
        "window_end": "2015-01-02 02:00:00",
    }


def test_settings_defaults_and_errors(tmp_path):
    settings = load_settings({})
    assert (settings.target, settings.start, settings.base_url) == (
        "local",
        "2015-01-01-00:00",
        "https://data.gharchive.org",
    )
    assert load_settings({"GHARCHIVE_DATA_DIR": "rel"}).data_dir.is_absolute()
    with pytest.raises(SettingsError, match="GHARCHIVE_TARGET"):
        load_settings({"GHARCHIVE_TARGET": "aws"})
    with pytest.raises(SettingsError, match="GHARCHIVE_BASE_URL"):
        load_settings({"GHARCHIVE_BASE_URL": "ftp://x"})
    with pytest.raises(SettingsError, match="GHARCHIVE_GCP_PROJECT, GHARCHIVE_GCS_BUCKET"):
        load_settings({"GHARCHIVE_TARGET": "gcp"})


def test_backfill_policy_is_one_run_or_batches():
    from gharchive_assets.core.partitions import backfill_policy, model_backfill_policy

    assert backfill_policy(None) == dg.BackfillPolicy.single_run()
    assert backfill_policy(24).max_partitions_per_run == 24
    # The dbt models run by whole days: one run per day of hours, at least one day.
    assert model_backfill_policy(None) == dg.BackfillPolicy.single_run()
    assert [model_backfill_policy(n).max_partitions_per_run for n in (3, 24, 72)] == [1, 1, 3]
    assert load_settings({"GHARCHIVE_HOURS_PER_RUN": "24"}).hours_per_run == 24
    assert load_settings({"GHARCHIVE_HOURS_PER_RUN": ""}).hours_per_run == 24
    assert load_settings({}).hours_per_run == 24
    assert load_settings({"GHARCHIVE_HOURS_PER_RUN": "all"}).hours_per_run is None
    with pytest.raises(SettingsError, match="GHARCHIVE_HOURS_PER_RUN"):
        load_settings({"GHARCHIVE_HOURS_PER_RUN": "0"})


@pytest.mark.parametrize("start", ["2015-13-01-00:00", "2015-01-01", "2010-01-01-00:00", "x"])
def test_a_malformed_gharchive_start_is_refused(start):
    with pytest.raises(SettingsError, match="GHARCHIVE_START must be an hour like"):
        load_settings({"GHARCHIVE_START": start})


def test_make_run_ranges_are_checked_and_widen_the_partitions():
    from gharchive_assets.cli.run_range import partitions_start_for

    default = "2015-01-01-00:00"
    assert partitions_start_for("2015-01-01-05:00", "2015-01-01-06:00", default) == default
    assert partitions_start_for("2012-03-10-22:00", "2012-03-10-23:00", default) == (
        "2012-03-10-22:00"
    )
    with pytest.raises(ValueError, match="START 2015-01-01-05:00 is after END"):
        partitions_start_for("2015-01-01-05:00", "2015-01-01-02:00", default)
    with pytest.raises(ValueError, match="END: '2015-01-01-2' is not an hourly partition key"):
        partitions_start_for("2015-01-01-00:00", "2015-01-01-2", default)
    with pytest.raises(ValueError, match="before the archive's first hour"):
        partitions_start_for("2011-01-01-00:00", "2011-01-01-02:00", default)


def test_an_end_in_the_future_is_one_clear_line():
    from gharchive_assets.cli.run_range import main, partitions_start_for

    now = datetime(2026, 12, 4, 16, 30, tzinfo=UTC)
    default = "2015-01-01-00:00"
    assert partitions_start_for("2026-12-04-14:00", "2026-12-04-15:00", default, now) == default
    with pytest.raises(
        ValueError, match=r"END 2026-12-04-16:00 has not ended yet: .* 2026-12-04-15:00"
    ):
        partitions_start_for("2026-12-04-14:00", "2026-12-04-16:00", default, now)
    assert main(["2015-01-01-00:00", "2099-01-01-00:00"]) == 2


@pytest.mark.parametrize(
    "variable", ["GHARCHIVE_BASE_URL", "GHARCHIVE_SOURCES"], ids=["base url", "sources"]
)
def test_a_file_url_with_two_slashes_is_refused(variable):
    value = "file://tmp/mirror" if variable == "GHARCHIVE_BASE_URL" else "a=file://tmp/mirror"
    with pytest.raises(SettingsError, match=r"names the host 'tmp'.*file:///tmp/mirror"):
        load_settings({variable: value})
    for fine in ("file:///tmp/mirror", "file://localhost/tmp/mirror"):
        value = fine if variable == "GHARCHIVE_BASE_URL" else f"a={fine}"
        assert load_settings({variable: value}).base_url == fine
