"""The hourly assets' work, as plain objects, without Dagster: one hour from a
file:// mirror into the lake, cleaned, and loaded into DuckDB."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow.parquet as pq
import pytest

from gharchive_assets.contract.archive_hour import ArchiveHour
from gharchive_assets.core.settings import Settings
from gharchive_assets.hours import FetchOptions, HourCleaner, HourFetcher, HourLoader
from gharchive_assets.lake.paths import clean_path, raw_path
from gharchive_assets.lake.resource import LocalLakeResource
from gharchive_assets.source.resource import ArchiveSourceResource, SourceUnavailable
from gharchive_assets.warehouse.duckdb_warehouse import DuckDBWarehouseResource
from tests.synthetic import ArchiveFaker, write_hour

HOUR = ArchiveHour.of("2015-01-01-22:00")


@pytest.fixture
def mirror(tmp_path):
    records = ArchiveFaker(seed=22).hour(HOUR.start, 300)
    write_hour(tmp_path / "mirror", HOUR.start, records)
    return tmp_path / "mirror", records


def test_an_hour_is_fetched_cleaned_and_loaded_by_plain_objects(tmp_path, mirror):
    directory, records = mirror
    settings = Settings(base_url=f"file://{directory}", data_dir=tmp_path / "data")
    source = ArchiveSourceResource(base_url=settings.base_url)
    lake = LocalLakeResource(root=str(settings.lake_root))

    fetched = HourFetcher(source, lake, settings).fetch(HOUR)
    assert (
        fetched["reused"] is False
        and fetched["bytes"] == (directory / HOUR.file_name).stat().st_size
    )
    assert (settings.lake_root / raw_path(HOUR)).read_bytes() == (
        directory / HOUR.file_name
    ).read_bytes()
    assert HourFetcher(source, lake, settings).fetch(HOUR)["reused"] is True, "unchanged: kept"
    again = HourFetcher(source, lake, settings, FetchOptions(refetch=True)).fetch(HOUR)
    assert again["reused"] is False

    cleaned = HourCleaner(lake, settings).clean(HOUR)
    table = pq.read_table(settings.lake_root / clean_path(HOUR))
    assert cleaned["rows"] == table.num_rows == len({(r["id"], r["created_at"]) for r in records})
    assert sum(cleaned["events_by_type"].values()) == cleaned["rows"]
    assert cleaned["path"].endswith(clean_path(HOUR))

    warehouse = DuckDBWarehouseResource(
        path=str(tmp_path / "warehouse.duckdb"), lake_root=str(settings.lake_root)
    )
    loader = HourLoader(lake, warehouse)
    assert loader.load(HOUR) == {"rows": cleaned["rows"], "replaced_rows": 0}
    assert loader.load(HOUR) == {"rows": cleaned["rows"], "replaced_rows": cleaned["rows"]}
    assert loader.findings.rows == {HOUR.key: cleaned["rows"]}
    assert loader.findings.duplicated_hours() == {}
    assert warehouse.query(
        "select count(*) from gharchive.events where archive_hour = ?", [HOUR.naive_start]
    ) == [(cleaned["rows"],)]


def test_a_mirror_without_the_files_fails_the_fetch_naming_the_setting(tmp_path):
    settings = Settings(base_url=f"file://{tmp_path}/not-mounted", data_dir=tmp_path / "data")
    fetcher = HourFetcher(
        ArchiveSourceResource(base_url=settings.base_url),
        LocalLakeResource(root=str(settings.lake_root)),
        settings,
    )
    with pytest.raises(SourceUnavailable, match="GHARCHIVE_BASE_URL"):
        fetcher.fetch(HOUR)
    assert not (settings.lake_root / "raw").exists()


def test_a_run_of_days_builds_with_its_window_and_days_as_literals():
    import dagster as dg

    from gharchive_assets.defs.analytics import build_args, listed

    window = dg.TimeWindow(datetime(2015, 1, 1, tzinfo=UTC), datetime(2015, 1, 3, tzinfo=UTC))
    days = [datetime(2015, 1, d).date() for d in (1, 2)]
    args = build_args(window, days, {"duckdb_path": "/w.duckdb"})
    assert args[:2] == ["build", "--vars"] and args[3:] == ["--exclude", "tag:full_history_only"]
    assert '"run_days": ["2015-01-01", "2015-01-02"]' in args[2]
    assert '"window_start": "2015-01-01 00:00:00"' in args[2] and "duckdb_path" in args[2]
    assert listed(days * 6).endswith(" ...")
