"""`make run`'s summary says what the warehouse holds: events counted as the
marts count them, and no claim of rows where none loaded (fast: DuckDB only)."""

from datetime import UTC, datetime

from gharchive_assets.clean import clean_hour_into_lake
from gharchive_assets.contract.archive_hour import ArchiveHour
from gharchive_assets.lake.directory import DirectoryLake
from gharchive_assets.lake.paths import clean_path
from gharchive_assets.reporting.run_summary import RunFacts, summarise, what_failed
from gharchive_assets.warehouse.duckdb_warehouse import DuckDBWarehouseResource
from tests.synthetic import ArchiveFaker, write_hour

KEY = "2015-01-01-22:00"
HOUR = ArchiveHour.of(KEY)


def test_events_are_counted_by_id_and_created_at(tmp_path):
    records = ArchiveFaker(seed=8).hour(datetime(2015, 1, 1, 22, tzinfo=UTC), 30)
    # The same id at two moments: two events (GitHub's ids repeat across years).
    twin = {**records[0], "created_at": "2015-01-01T22:59:59Z"}
    assert twin["created_at"] != records[0]["created_at"]
    write_hour(tmp_path / "mirror", HOUR.start, [*records, twin])
    lake = DirectoryLake(tmp_path / "lake")
    clean_hour_into_lake(lake, HOUR, tmp_path / "mirror" / HOUR.file_name)
    warehouse = DuckDBWarehouseResource(path=str(tmp_path / "warehouse.duckdb"))
    warehouse.replace_hour(HOUR, str(lake.path(clean_path(HOUR))), "sha")
    text = summarise(warehouse, KEY, KEY)
    assert f"rows loaded: {len(records) + 1:,} ({len(records) + 1:,} distinct events)" in text


def test_a_failed_dbt_step_does_not_claim_rows_that_never_loaded():
    facts = RunFacts("r", "FAILURE", 1.0, failures=[("analytics_models", "dbt failed")])
    none = "\n".join(what_failed(facts, 1, rows=0))
    assert "no rows of these hours are in gharchive.events either" in none
    assert "the rows above" not in none
    some = "\n".join(what_failed(facts, 1, rows=12))
    assert "the rows above are in gharchive.events" in some
