"""Both targets implement the contract's interfaces, and the engine needs no Dagster."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest
from dagster_gcp import GCSResource

from gharchive_assets.lake.directory import DirectoryLake
from gharchive_assets.lake.gcs import GCSLakeResource
from gharchive_assets.lake.resource import LocalLakeResource
from gharchive_assets.lake.store import Lake
from gharchive_assets.warehouse.bigquery_warehouse import (
    BigQueryWarehouseResource,
    GharchiveBigQueryResource,
)
from gharchive_assets.warehouse.duckdb_warehouse import DuckDBWarehouseResource
from gharchive_assets.warehouse.interface import Warehouse

LAKES = {
    "directory": lambda: DirectoryLake("/nonexistent"),
    "local": lambda: LocalLakeResource(root="/nonexistent"),
    "gcs": lambda: GCSLakeResource(gcs=GCSResource(project="p"), bucket="b"),
}
WAREHOUSES = {
    "duckdb": lambda: DuckDBWarehouseResource(path="/nonexistent/warehouse.duckdb"),
    "bigquery": lambda: BigQueryWarehouseResource(bigquery=GharchiveBigQueryResource(project="p")),
}


def members(protocol) -> list[str]:
    return sorted(name for name in vars(protocol) if not name.startswith("_"))


def assert_implements(implementation, protocol) -> None:
    assert isinstance(implementation, protocol)
    for name in members(protocol):
        expected = inspect.getattr_static(protocol, name)
        actual = inspect.getattr_static(type(implementation), name)
        if isinstance(expected, property):
            assert isinstance(actual, property), f"{name} should be a property"
            continue
        wanted = list(inspect.signature(expected).parameters)
        got = list(inspect.signature(getattr(type(implementation), name)).parameters)
        assert got == wanted, f"{type(implementation).__name__}.{name}{got} != {wanted}"


@pytest.mark.parametrize("make", LAKES.values(), ids=LAKES.keys())
def test_every_lake_implements_the_lake_interface(make):
    assert_implements(make(), Lake)


@pytest.mark.parametrize("make", WAREHOUSES.values(), ids=WAREHOUSES.keys())
def test_every_warehouse_implements_the_warehouse_interface(make):
    assert_implements(make(), Warehouse)


def test_the_interfaces_name_what_the_assets_use():
    assert members(Lake) == [
        "delete", "local_copy", "parquet_footer", "publish", "sha256", "size", "staging_dir", "uri",
    ]  # fmt: skip
    assert members(Warehouse) == [
        "analytics_schema", "dbt_vars", "events_table", "events_without_payload_table",
        "exclusive", "load_new_hours", "loaded_hours_table", "query", "replace_hour",
        "replace_star_history",
        "star_history_table",
    ]  # fmt: skip


@pytest.mark.slow
def test_the_cleaning_engine_and_the_contract_import_no_dagster():
    probe = (
        "import sys\n"
        "import gharchive_assets.clean, gharchive_assets.clean.__main__\n"
        "import gharchive_assets.warehouse.interface, gharchive_assets.contract.events_schema\n"
        "import gharchive_assets.lake.paths, gharchive_assets.lake.store\n"
        "import gharchive_assets.lake.directory, gharchive_assets.contract.archive_hour\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('dagster', 'dbt', 'pandas'))\n"
        "print(','.join(loaded))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert completed.stdout.strip() == ""
