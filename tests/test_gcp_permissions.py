"""Least privilege that works: every GCS and BigQuery call the pipeline makes
needs only permissions that terraform grants its identity.

The emulators enforce no IAM, so this holds the list instead: each client
method the code calls, and each kind of SQL statement it runs, maps to the
IAM permissions it needs (Google's API reference), and each permission must be
in a role terraform grants the pipeline's service account on the resource the
call touches. A call added to the code without an entry here fails the test.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from google.cloud import bigquery, storage

from tests.iam_proxy import PIPELINE, holds, terraform_grants

REPO = Path(__file__).resolve().parents[1]
CODE = {
    "bucket": REPO / "gharchive_assets/lake/gcs.py",
    "bigquery": REPO / "gharchive_assets/warehouse/bigquery_warehouse.py",
}

# Client method -> (scope, permissions). Scopes: the lake bucket, a dataset
# (events or analytics), the project. An empty set: no API call of its own.
CALLS: dict[str, tuple[str, set[str]]] = {
    # google-cloud-storage
    "bucket": ("bucket", set()),
    "blob": ("bucket", set()),
    "list_blobs": ("bucket", {"storage.objects.list"}),
    "get_blob": ("bucket", {"storage.objects.get"}),
    "download_to_filename": ("bucket", {"storage.objects.get"}),
    "open": ("bucket", {"storage.objects.get"}),
    # An upload may replace an object: create, and delete for the replaced one.
    "upload_from_filename": ("bucket", {"storage.objects.create", "storage.objects.delete"}),
    "delete": ("bucket", {"storage.objects.delete"}),
    # google-cloud-bigquery
    "get_dataset": ("dataset", {"bigquery.datasets.get"}),
    # create_table(exists_ok=True) reads the table back when it exists.
    "create_table": ("dataset", {"bigquery.tables.create", "bigquery.tables.get"}),
    "get_table": ("dataset", {"bigquery.tables.get"}),
    "delete_table": ("dataset", {"bigquery.tables.delete"}),
    # A load job: a job, a staging table written, the clean parquet read from the bucket.
    "load_table_from_uri": (
        "dataset+project+bucket",
        {
            "bigquery.jobs.create",
            "bigquery.tables.create",
            "bigquery.tables.updateData",
            "storage.objects.get",
        },
    ),
    # A copy job: a job, the staging table read, events appended to.
    "copy_table": (
        "dataset+project",
        {
            "bigquery.jobs.create",
            "bigquery.tables.getData",
            "bigquery.tables.create",
            "bigquery.tables.updateData",
        },
    ),
    "query": ("project", {"bigquery.jobs.create"}),
    # A job's creator may always wait for and read its own jobs.
    "result": ("project", set()),
}
# What the SQL the pipeline and dbt run needs on the dataset, by statement kind.
STATEMENTS = {
    "SELECT": {"bigquery.tables.getData"},
    "MERGE": {"bigquery.tables.getData", "bigquery.tables.updateData"},
    "INSERT INTO": {"bigquery.tables.updateData"},
    "ALTER TABLE": {"bigquery.tables.update"},
}
DBT_BUILD = {  # dbt-bigquery: views, incremental tables, insert_overwrite merges, tests
    "analytics": {"bigquery.datasets.get", "bigquery.tables.create", "bigquery.tables.get",
                  "bigquery.tables.getData", "bigquery.tables.update",
                  "bigquery.tables.updateData", "bigquery.tables.delete",
                  "bigquery.tables.list"},
    "events": {"bigquery.tables.get", "bigquery.tables.getData"},
}  # fmt: skip


def api_methods() -> set[str]:
    """Every public method of the client classes the pipeline uses."""
    classes = (storage.Client, storage.Bucket, storage.Blob, bigquery.Client, bigquery.QueryJob,
               bigquery.LoadJob)  # fmt: skip
    return {name for cls in classes for name in dir(cls) if not name.startswith("_")}


def called_methods(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and not (isinstance(node.func.value, ast.Name) and node.func.value.id == "self")
    }


def statements(path: Path) -> set[str]:
    """The kinds of SQL statement in the module's string literals."""
    text = " ".join(
        node.value
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    )
    return {kind for kind in STATEMENTS if re.search(rf"\b{kind}\b", text)}


@pytest.fixture(scope="module")
def granted() -> dict[str, set[str]]:
    """Permissions terraform grants the pipeline, by scope."""
    scopes = {
        "${google_storage_bucket.lake.name}": "bucket",
        "${google_bigquery_dataset.events.dataset_id}": "events",
        "${google_bigquery_dataset.analytics.dataset_id}": "analytics",
    }
    held = holds(terraform_grants(scopes)[PIPELINE])
    return {scope: held.get(scope, set()) for scope in (*scopes.values(), "project")}


@pytest.mark.slow
def test_every_client_call_the_code_makes_is_listed():
    for path in CODE.values():
        unlisted = (called_methods(path) & api_methods()) - set(CALLS)
        assert not unlisted, f"{path.name} calls {sorted(unlisted)}: add them to CALLS"


@pytest.mark.slow
def test_every_call_needs_only_what_terraform_grants(granted):
    missing = []
    for path in CODE.values():
        for method in called_methods(path) & set(CALLS):
            scopes, permissions = CALLS[method]
            for permission in permissions:
                scope = scope_of(permission, scopes)
                where = ("events",) if scope == "dataset" else (scope,)
                missing += [f"{method}: {permission} on {s}" for s in where
                            if permission not in granted[s]]  # fmt: skip
    for kind in statements(CODE["bigquery"]):
        missing += [f"{kind}: {p} on events" for p in STATEMENTS[kind] - granted["events"]]
    for dataset, permissions in DBT_BUILD.items():
        missing += [f"dbt build: {p} on {dataset}" for p in permissions - granted[dataset]]
    missing += [f"any query: {p}" for p in {"bigquery.jobs.create"} - granted["project"]]
    assert not missing, "\n".join(missing)


def scope_of(permission: str, scopes: str) -> str:
    if permission.startswith("storage."):
        return "bucket"
    if permission.startswith("bigquery.jobs."):
        return "project"
    return "dataset" if "dataset" in scopes else scopes.split("+")[0]


@pytest.mark.slow
def test_a_bucket_lookup_would_need_a_permission_terraform_does_not_grant(granted):
    """Why the lake never calls get_bucket: storage.buckets.get is not in
    roles/storage.objectAdmin, the only role the pipeline has on the bucket."""
    assert "storage.buckets.get" not in granted["bucket"]
    assert "get_bucket" not in called_methods(CODE["bucket"])
    assert "get_bucket" in api_methods(), "the check would see such a call"
