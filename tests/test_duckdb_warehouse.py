"""The local warehouse keeps one copy of the payload, the lake's.

``gharchive.events`` is a view over ``events_without_payload`` that reads each
payload from its hour's clean parquet; these tests hold it to the table it
replaced: every column, every row, the same values.
"""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from gharchive_assets.clean import clean_hour_into_lake
from gharchive_assets.contract.archive_hour import ArchiveHour
from gharchive_assets.contract.events_schema import COLUMN_NAMES
from gharchive_assets.lake.directory import DirectoryLake
from gharchive_assets.lake.paths import clean_path
from gharchive_assets.warehouse.duckdb_warehouse import DuckDBWarehouseResource, duckdb_table_ddl

KEYS = ("2015-01-01-22:00", "2015-01-01-23:00")


@pytest.fixture
def lake(tmp_path, generated_archive):
    """The generated 22:00 and 23:00 hours, cleaned into a lake beside the warehouse."""
    lake = DirectoryLake(tmp_path / "lake")
    for key in KEYS:
        hour = ArchiveHour.of(key)
        clean_hour_into_lake(lake, hour, generated_archive["dir"] / hour.file_name)
    return lake


def clean_rows(lake: DirectoryLake, key: str) -> list[tuple]:
    """The hour's clean rows as DuckDB would return them: every column, naive UTC."""
    table = pq.read_table(lake.path(clean_path(ArchiveHour.of(key))))
    rows = []
    for row in table.to_pylist():
        values = [row[name] for name in COLUMN_NAMES]
        rows.append(tuple(v.replace(tzinfo=None) if hasattr(v, "tzinfo") else v for v in values))
    return sorted(rows, key=lambda r: (r[0], r[2]))


def events_rows(warehouse: DuckDBWarehouseResource, key: str) -> list[tuple]:
    rows = warehouse.query(
        f"select {', '.join(COLUMN_NAMES)} from gharchive.events where archive_hour = ?",
        [ArchiveHour.of(key).naive_start],
    )
    return sorted(rows, key=lambda r: (r[0], r[2]))


def test_the_view_answers_every_column_as_the_clean_files_hold_them(tmp_path, lake):
    warehouse = DuckDBWarehouseResource(path=str(tmp_path / "warehouse.duckdb"))
    for key in KEYS:
        warehouse.replace_hour(
            ArchiveHour.of(key), str(lake.path(clean_path(ArchiveHour.of(key)))), "sha"
        )
    for key in KEYS:
        rows = events_rows(warehouse, key)
        assert rows == clean_rows(lake, key)
        assert all(row[COLUMN_NAMES.index("payload")] for row in rows)

    stored = [row[0] for row in warehouse.query("describe gharchive.events_without_payload")]
    assert "payload" not in stored and "lake_row" in stored
    (kind,) = warehouse.query(
        "select table_type from information_schema.tables where table_name = 'events'"
    )[0]
    assert kind == "VIEW"


def test_rows_are_stored_in_created_at_order_so_a_day_filter_prunes(tmp_path, lake):
    warehouse = DuckDBWarehouseResource(path=str(tmp_path / "warehouse.duckdb"))
    key = KEYS[1]
    warehouse.replace_hour(
        ArchiveHour.of(key), str(lake.path(clean_path(ArchiveHour.of(key)))), "sha"
    )
    stored = [
        t for (t,) in warehouse.query("select created_at from gharchive.events_without_payload")
    ]
    assert stored == sorted(stored) and len(stored) > 100


def test_reloading_an_hour_gives_its_space_back(tmp_path, lake):
    warehouse = DuckDBWarehouseResource(path=str(tmp_path / "warehouse.duckdb"))
    path = str(lake.path(clean_path(ArchiveHour.of(KEYS[0]))))
    warehouse.replace_hour(ArchiveHour.of(KEYS[0]), path, "sha")
    warehouse.replace_hour(ArchiveHour.of(KEYS[0]), path, "sha")
    settled = (tmp_path / "warehouse.duckdb").stat().st_size
    for _ in range(4):
        warehouse.replace_hour(ArchiveHour.of(KEYS[0]), path, "sha")
    assert (tmp_path / "warehouse.duckdb").stat().st_size <= settled
    assert warehouse.query("select count(*) from gharchive.events")[0][0] == len(
        clean_rows(lake, KEYS[0])
    )


def test_a_file_outside_the_lake_is_refused_with_the_path_it_wants(tmp_path, lake):
    elsewhere = tmp_path / "copy.parquet"
    elsewhere.write_bytes(lake.path(clean_path(ArchiveHour.of(KEYS[0]))).read_bytes())
    warehouse = DuckDBWarehouseResource(path=str(tmp_path / "warehouse.duckdb"))
    with pytest.raises(ValueError, match=r"2015-01-01-22:00.*lake/clean/events/date=2015-01-01"):
        warehouse.replace_hour(ArchiveHour.of(KEYS[0]), str(elsewhere), "sha")


def test_an_older_warehouse_with_payloads_in_its_table_is_converted(tmp_path, lake):
    """A warehouse of an earlier release keeps its rows; payloads come from the lake."""
    warehouse = DuckDBWarehouseResource(path=str(tmp_path / "warehouse.duckdb"))
    with warehouse.connect() as connection:
        connection.execute("create schema gharchive")
        connection.execute(duckdb_table_ddl("gharchive"))
        for key in KEYS:
            connection.execute(
                f"insert into gharchive.events select {', '.join(COLUMN_NAMES)} "
                "from read_parquet(?)",
                [str(lake.path(clean_path(ArchiveHour.of(key))))],
            )
    # Loading one hour converts the table; the other hour is not reloaded.
    warehouse.replace_hour(
        ArchiveHour.of(KEYS[1]), str(lake.path(clean_path(ArchiveHour.of(KEYS[1])))), "sha"
    )
    for key in KEYS:
        assert events_rows(warehouse, key) == clean_rows(lake, key)
