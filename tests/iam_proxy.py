"""Loopback proxies in front of the GCS and BigQuery emulators that enforce IAM
as Google's front ends would.

The emulators grant everything. These proxies stand where GCS's and BigQuery's
front ends do: each REST request is mapped to the permissions Google checks for
it (the Cloud Storage and BigQuery IAM permission references), and refused with
403 unless the calling identity holds them on the bucket, dataset or project it
touches. For a BigQuery job, that includes what its SQL reads and writes
(sqlglot finds the tables) and, for a load, the bucket it reads. Whoever calls
through them (our lake and warehouse, dagster-gcp's compute log manager,
dbt-bigquery, the client libraries) meets the refusals production would give.
A request neither can map is refused too, so a new kind of call fails here
before it fails on GCP.

In front of bqemulator, which runs one job at a time and has no limits, the
proxy also keeps BigQuery's own rules on what jobs may do at once
(``BigQueryRules``): a transaction that mutates a table another job is
mutating is aborted, mutating DML on one table runs 2 at a time with at most
20 waiting, and one job may modify at most 4,000 partitions.
"""

from __future__ import annotations

import http.client
import json
import re
import subprocess
import sys
import threading
from contextlib import contextmanager, nullcontext
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

import sqlglot
from sqlglot import exp

# The predefined roles' permissions that matter here (Google's IAM roles reference).
ROLES = {
    "roles/storage.objectViewer": {"storage.objects.get", "storage.objects.list"},
    "roles/storage.objectAdmin": {
        "storage.objects.create", "storage.objects.delete", "storage.objects.get",
        "storage.objects.list", "storage.objects.update", "storage.multipartUploads.create",
        "storage.multipartUploads.abort", "storage.multipartUploads.list",
    },
    "roles/storage.legacyBucketReader": {"storage.buckets.get", "storage.objects.list"},
    "roles/bigquery.dataEditor": {
        "bigquery.datasets.get", "bigquery.tables.create", "bigquery.tables.delete",
        "bigquery.tables.get", "bigquery.tables.getData", "bigquery.tables.list",
        "bigquery.tables.update", "bigquery.tables.updateData", "bigquery.tables.export",
        "bigquery.routines.get", "bigquery.routines.list",
    },
    "roles/bigquery.jobUser": {"bigquery.jobs.create", "resourcemanager.projects.get"},
    "roles/iam.serviceAccountTokenCreator": {
        "iam.serviceAccounts.signBlob", "iam.serviceAccounts.signJwt",
        "iam.serviceAccounts.getAccessToken", "iam.serviceAccounts.getOpenIdToken",
    },
}  # fmt: skip


# BigQuery's documented limits (cloud.google.com/bigquery/quotas and
# docs/data-manipulation-language, "Concurrent jobs"; docs/transactions,
# "Transaction concurrency").
MUTATING_DML_RUNNING = 2
MUTATING_DML_QUEUED = 20
PARTITIONS_PER_JOB = 4000


PIPELINE, CONTROL = "pipeline", "control"
MEMBERS = {
    "serviceAccount:${google_service_account.pipeline.email}": PIPELINE,
    "serviceAccount:${var.service_account_email}": PIPELINE,
    "serviceAccount:${google_service_account.dagster.email}": CONTROL,
}


def terraform_grants(names: dict[str, str], without: str | None = None) -> dict:
    """identity -> resource -> roles, as terraform/ grants them. ``names`` maps
    terraform's references (``${google_storage_bucket.lake.name}``) to the
    names the test uses; the project is "project". ``without``: leave out the
    grant of that name, to show what its absence would do."""
    from tests.test_terraform import TERRAFORM, load, resources

    scopes = {
        "google_storage_bucket_iam_member": "bucket",
        "google_bigquery_dataset_iam_member": "dataset_id",
        "google_project_iam_member": None,
        "google_service_account_iam_member": "service_account_id",
    }
    grants: dict[str, dict[str, set[str]]] = {PIPELINE: {}, CONTROL: {}}
    for config in (load(TERRAFORM), load(TERRAFORM / "modules" / "dagster_home")):
        for kind, attribute in scopes.items():
            for name, grant in resources(config, kind).items():
                resource = "project" if attribute is None else names.get(grant[attribute])
                if name == without or resource is None:
                    continue
                for member in (grant.get("for_each") or {"": grant["member"]}).values():
                    if member in MEMBERS:
                        grants[MEMBERS[member]].setdefault(resource, set()).add(grant["role"])
    return grants


def holds(grants: dict[str, set[str]]) -> dict[str, set[str]]:
    """resource -> permissions, from resource -> roles."""
    return {
        resource: set().union(*(ROLES.get(role, set()) for role in roles))
        for resource, roles in grants.items()
    }


class Refused(Exception):
    """A request the identity may not make: the missing permission, and where."""


class RuleBroken(Exception):
    """A job BigQuery would refuse or abort for what runs beside it, or its size."""


class Proxy:
    """Forwards to ``upstream`` what ``needs(method, path, query, body)`` allows:
    that returns the (permission, resource) pairs the request needs."""

    def __init__(self, upstream: str, permissions: dict[str, set[str]]):
        self.upstream = urlsplit(upstream)
        self.permissions = permissions
        self.refused: list[str] = []
        self.allowed: list[str] = []
        self.broken: list[str] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: with Nagle's algorithm and
            # the client's delayed ACK each answer would wait about 40 ms.
            disable_nagle_algorithm = True

            def _handle(self):
                parts = urlsplit(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    needed = proxy.needs(self.command, parts.path, parse_qs(parts.query), body)
                    for permission, resource in needed:
                        if permission not in proxy.permissions.get(resource, set()):
                            raise Refused(f"{permission} on {resource}")
                except Refused as refusal:
                    proxy.record("refused", [f"{refusal} ({self.command} {parts.path})"])
                    return self._reply(403, _forbidden(str(refusal)), "application/json")
                proxy.record("allowed", [f"{p} on {r}" for p, r in needed])
                try:
                    with proxy.engine_rules(self.command, parts.path, body):
                        status, headers, data = proxy.forward(
                            self.command, self.path, self.headers, body
                        )
                except RuleBroken as broken:
                    proxy.record("broken", [str(broken)])
                    return self._reply(400, _invalid(str(broken)), "application/json")
                self._reply(status, data, headers.get("content-type", ""), headers)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

            def _reply(self, status, data: bytes, content_type: str, headers=None):
                self.send_response(status)
                for name, value in (headers or {}).items():
                    if name not in ("transfer-encoding", "content-length", "connection"):
                        self.send_header(name, value)
                if not headers:
                    self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self._log_lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"http://127.0.0.1:{self._server.server_port}"

    log: Path | None = None  # where a proxy in its own process records, for its parent

    def record(self, outcome: str, entries: list[str]) -> None:
        getattr(self, outcome).extend(entries)
        if self.log is not None and entries:
            with self._log_lock, open(self.log, "a") as log:
                log.write(json.dumps({outcome: entries}) + "\n")

    def needs(self, method: str, path: str, query: dict, body: bytes) -> list[tuple[str, str]]:
        raise NotImplementedError

    def engine_rules(self, method: str, path: str, body: bytes):
        """Held while the request runs upstream; raises RuleBroken to refuse it."""
        return nullcontext()

    def forward(self, method: str, path: str, headers, body: bytes):
        connection = http.client.HTTPConnection(
            self.upstream.hostname, self.upstream.port, timeout=300
        )
        sent = {k: v for k, v in headers.items() if k.lower() not in ("host", "connection")}
        connection.request(method, path, body=body, headers=sent)
        answer = connection.getresponse()
        data = answer.read()
        received = {k.lower(): v for k, v in answer.getheaders()}
        connection.close()
        return answer.status, received, data

    def __enter__(self):
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()


def _invalid(message: str) -> bytes:
    return json.dumps(
        {"error": {"code": 400, "message": message,
                   "errors": [{"reason": "invalidQuery", "message": message}]}}
    ).encode()  # fmt: skip


def _forbidden(message: str) -> bytes:
    return json.dumps(
        {"error": {"code": 403, "message": f"Access Denied: caller does not have {message}",
                   "errors": [{"reason": "accessDenied", "message": message}]}}
    ).encode()  # fmt: skip


# (method, path pattern, permission); the bucket is the pattern's first group.
GCS_ROUTES = [
    ("GET", r"/storage/v1/b/([^/]+)", "storage.buckets.get"),
    ("GET", r"/storage/v1/b/([^/]+)/o", "storage.objects.list"),
    ("GET", r"/storage/v1/b/([^/]+)/o/.+", "storage.objects.get"),
    ("GET", r"/download/storage/v1/b/([^/]+)/o/.+", "storage.objects.get"),
    ("POST", r"/upload/storage/v1/b/([^/]+)/o", "storage.objects.create"),
    ("PUT", r"/upload/storage/v1/b/([^/]+)/o", "storage.objects.create"),
    ("DELETE", r"/storage/v1/b/([^/]+)/o/.+", "storage.objects.delete"),
    ("PATCH", r"/storage/v1/b/([^/]+)/o/.+", "storage.objects.update"),
]


class GcsIamProxy(Proxy):
    """GCS's JSON API; ``permissions``: bucket -> permissions."""

    def needs(self, method, path, query, body):
        for verb, pattern, permission in GCS_ROUTES:
            match = re.fullmatch(pattern, path)
            if verb == method and match:
                bucket = unquote(match.group(1))
                needed = [(permission, bucket)]
                if permission == "storage.objects.create" and self._exists(bucket, query):
                    needed.append(("storage.objects.delete", bucket))  # a replacement
                return needed
        raise Refused(f"an unmapped call {method} {path}")

    def _exists(self, bucket: str, query: dict) -> bool:
        """Whether an upload would replace an object (asked of the emulator)."""
        name = query.get("name", [None])[0]
        if name is None:
            return False
        path = f"/storage/v1/b/{quote(bucket)}/o/{quote(name, safe='')}"
        status, _, _ = self.forward("GET", path, {}, b"")
        return status == 200


# BigQuery's REST API v2: (method, path pattern, permission, scope group).
BQ_ROUTES = [
    ("GET", r"/bigquery/v2/projects/([^/]+)/datasets/([^/]+)", "bigquery.datasets.get", 2),
    ("GET", r"/bigquery/v2/projects/([^/]+)/datasets/([^/]+)/tables", "bigquery.tables.list", 2),
    ("GET", r"/bigquery/v2/projects/([^/]+)/datasets/([^/]+)/routines", "bigquery.routines.list", 2),
    ("POST", r"/bigquery/v2/projects/([^/]+)/datasets/([^/]+)/tables", "bigquery.tables.create", 2),
    ("GET", r"/bigquery/v2/projects/([^/]+)/datasets/([^/]+)/tables/[^/]+", "bigquery.tables.get", 2),
    ("PATCH", r"/bigquery/v2/projects/([^/]+)/datasets/([^/]+)/tables/[^/]+", "bigquery.tables.update", 2),
    ("PUT", r"/bigquery/v2/projects/([^/]+)/datasets/([^/]+)/tables/[^/]+", "bigquery.tables.update", 2),
    ("DELETE", r"/bigquery/v2/projects/([^/]+)/datasets/([^/]+)/tables/[^/]+", "bigquery.tables.delete", 2),
    ("GET", r"/bigquery/v2/projects/([^/]+)/datasets/([^/]+)/tables/[^/]+/data", "bigquery.tables.getData", 2),
    # A job's creator may read its own jobs and their results.
    ("GET", r"/bigquery/v2/projects/([^/]+)/jobs/[^/]+", None, 1),
    ("GET", r"/bigquery/v2/projects/([^/]+)/queries/[^/]+", None, 1),
    # Listing datasets returns those the caller can see: no permission of its own.
    ("GET", r"/bigquery/v2/projects/([^/]+)/datasets", None, 1),
]  # fmt: skip


class BigQueryIamProxy(Proxy):
    """BigQuery's REST API. ``permissions``: "project", a dataset's name, or
    "gs://bucket" -> permissions. ``default_dataset`` resolves unqualified
    tables of a job's SQL. Jobs also keep ``BigQueryRules``."""

    def __init__(self, upstream, permissions, partitions_per_job: int = PARTITIONS_PER_JOB):
        super().__init__(upstream, permissions)
        self.rules = BigQueryRules(self.upstream, partitions_per_job)

    def engine_rules(self, method, path, body):
        if method == "POST" and re.fullmatch(r"/bigquery/v2/projects/[^/]+/(jobs|queries)", path):
            return self.rules.job(path, body)
        return nullcontext()

    def needs(self, method, path, query, body):
        for verb, pattern, permission, group in BQ_ROUTES:
            match = re.fullmatch(pattern, path)
            if verb == method and match:
                resource = unquote(match.group(group))
                # A query's results land in a hidden dataset ("_" and a hash)
                # that its creator may read.
                if permission is None or (group == 2 and resource.startswith("_")):
                    return []
                return [(permission, resource)]
        if method == "POST" and re.fullmatch(
            r"(/upload)?/bigquery/v2/projects/[^/]+/(jobs|queries)", path
        ):
            return [("bigquery.jobs.create", "project"), *self._job_needs(path, body)]
        raise Refused(f"an unmapped call {method} {path}")

    def _job_needs(self, path: str, body: bytes) -> list[tuple[str, str]]:
        if path.startswith("/upload"):
            raise Refused("a load from a local file (the pipeline loads from its bucket)")
        request = json.loads(body or b"{}")
        if path.endswith("/queries"):  # jobs.query: the SQL at the top level
            return self._sql_needs(request["query"], request.get("defaultDataset"))
        configuration = request.get("configuration", {})
        if "load" in configuration:
            load = configuration["load"]
            needed = [("bigquery.tables.updateData", load["destinationTable"]["datasetId"])]
            if load.get("createDisposition", "CREATE_IF_NEEDED") == "CREATE_IF_NEEDED":
                needed.append(("bigquery.tables.create", load["destinationTable"]["datasetId"]))
            for uri in load.get("sourceUris", []):
                needed.append(("storage.objects.get", "gs://" + uri[5:].split("/")[0]))
            return needed
        if "copy" in configuration:  # BigQuery's copy job: read the sources, write the destination
            copy = configuration["copy"]
            destination = copy["destinationTable"]["datasetId"]
            needed = [("bigquery.tables.getData", table["datasetId"])
                      for table in copy.get("sourceTables") or [copy["sourceTable"]]]  # fmt: skip
            needed.append(("bigquery.tables.updateData", destination))
            if copy.get("createDisposition", "CREATE_IF_NEEDED") == "CREATE_IF_NEEDED":
                needed.append(("bigquery.tables.create", destination))
            return needed
        if "query" in configuration:
            job = configuration["query"]
            needed = self._sql_needs(job["query"], job.get("defaultDataset"))
            if job.get("destinationTable"):
                needed += [("bigquery.tables.updateData", job["destinationTable"]["datasetId"]),
                           ("bigquery.tables.create", job["destinationTable"]["datasetId"])]  # fmt: skip
            return needed
        raise Refused(f"an unmapped kind of job {sorted(configuration)}")

    def _sql_needs(self, sql: str, default_dataset: dict | None) -> list[tuple[str, str]]:
        """What the statements of a query or script read and write."""
        default = (default_dataset or {}).get("datasetId")
        needed = []
        for statement in sqlglot.parse(sql, read="bigquery"):
            if statement is None:
                continue
            written = set()
            target = _target_of(statement)
            if target is not None:
                dataset = target.db or default
                kind = type(statement).__name__
                written.add(id(target))
                if kind in ("Create",):
                    needed += [("bigquery.tables.create", dataset),
                               ("bigquery.tables.updateData", dataset)]  # fmt: skip
                    if statement.args.get("replace"):
                        needed.append(("bigquery.tables.delete", dataset))
                elif kind == "Drop":
                    needed.append(("bigquery.tables.delete", dataset))
                elif kind == "Alter":
                    needed.append(("bigquery.tables.update", dataset))
                else:  # INSERT, MERGE, UPDATE, DELETE
                    needed.append(("bigquery.tables.updateData", dataset))
                    if kind != "Insert":
                        needed.append(("bigquery.tables.getData", dataset))
            for table in statement.find_all(exp.Table):
                if id(table) in written or not table.name:
                    continue
                dataset = table.db or default
                if dataset is None:
                    continue  # a CTE's name, or a table function
                if table.name.upper() == "INFORMATION_SCHEMA" or (
                    dataset.upper().endswith("INFORMATION_SCHEMA")
                ):
                    needed.append(("bigquery.tables.list", dataset.split(".")[0]))
                else:
                    needed.append(("bigquery.tables.getData", dataset))
        return needed


class BigQueryRules:
    """What BigQuery does with jobs that write one table at once, and with a
    job that writes too many partitions; bqemulator does none of it.

    - A multi-statement transaction that mutates (UPDATE, DELETE, MERGE) a
      table another job is mutating is aborted: "Transaction is aborted due to
      concurrent update against table T". INSERTs mutate nothing.
    - Mutating DML outside a transaction waits its turn: 2 run on a table at
      once, 20 wait, and one more is refused ("Too many DML statements
      outstanding against table T, limit is 20").
    - A query, copy or load job may modify at most ``partitions_per_job``
      partitions of a partitioned table ("Too many partitions produced by
      query, allowed N, query produces at least M partitions"); counted here
      for CREATE TABLE ... PARTITION BY ... AS SELECT, INSERT ... SELECT and
      copy jobs, by asking the emulator how many days the rows fall on.
    """

    def __init__(self, upstream, partitions_per_job: int = PARTITIONS_PER_JOB):
        self.upstream = upstream  # where to count partitions; None: not counted
        self.partitions_per_job = partitions_per_job
        self._state = threading.Condition()
        self._transactions: dict[str, int] = {}
        self._running: dict[str, int] = {}
        self._waiting: dict[str, int] = {}

    @contextmanager
    def job(self, path: str, body: bytes):
        """Held while the job runs upstream; raises RuleBroken to refuse it."""
        request = json.loads(body or b"{}")
        configuration = (
            {"query": request} if path.endswith("/queries") else request.get("configuration", {})
        )
        if "copy" in configuration:
            if self.upstream:
                self._check_copy_partitions(configuration["copy"])
            yield
            return
        job = configuration.get("query") or {"query": ""}
        default = (job.get("defaultDataset") or {}).get("datasetId")
        statements = [s for s in sqlglot.parse(job["query"], read="bigquery") if s is not None]
        for statement in statements if self.upstream else ():
            self._check_partitions(statement)
        mutated = sorted({_table_key(_target_of(st), default) for st in statements
                          if isinstance(st, (exp.Update, exp.Delete, exp.Merge))
                          and _target_of(st) is not None})  # fmt: skip
        transaction = any(isinstance(st, exp.Transaction) for st in statements)
        holders = self._transactions if transaction else self._running
        with self._state:
            if transaction:
                self._begin_transaction(mutated)
            else:
                self._wait_for_dml(mutated)
            for table in mutated:
                holders[table] = holders.get(table, 0) + 1
        try:
            yield
        finally:
            with self._state:
                for table in mutated:
                    holders[table] -= 1
                self._state.notify_all()

    def _begin_transaction(self, mutated: list[str]) -> None:
        """Under the lock: abort a transaction whose tables another job mutates."""
        for table in mutated:
            if self._transactions.get(table) or self._running.get(table):
                raise RuleBroken(
                    f"Transaction is aborted due to concurrent update against table {table}."
                )

    def _wait_for_dml(self, mutated: list[str]) -> None:
        """Under the lock: queue mutating DML until its tables have a free turn."""
        for table in mutated:
            if self._waiting.get(table, 0) >= MUTATING_DML_QUEUED:
                raise RuleBroken(
                    "Resources exceeded during query execution: Too many DML statements "
                    f"outstanding against table {table}, limit is {MUTATING_DML_QUEUED}."
                )
        for table in mutated:
            self._waiting[table] = self._waiting.get(table, 0) + 1
        while any(self._transactions.get(t) or self._running.get(t, 0) >= MUTATING_DML_RUNNING
                  for t in mutated):  # fmt: skip
            self._state.wait()
        for table in mutated:
            self._waiting[table] -= 1

    def _check_partitions(self, statement: exp.Expression) -> None:
        if isinstance(statement, exp.Create) and isinstance(statement.expression, exp.Query):
            properties = statement.args.get("properties")
            found = [p for p in (properties.expressions if properties else [])
                     if isinstance(p, exp.PartitionedByProperty)]  # fmt: skip
            if found:
                column = found[0].this.sql("bigquery")
                self._count(f"SELECT COUNT(DISTINCT {_day_of(column)}) FROM "
                            f"({statement.expression.sql('bigquery')})")  # fmt: skip
        elif isinstance(statement, exp.Insert) and isinstance(statement.expression, exp.Query):
            target = _target_of(statement)
            field = self._partition_field(target) if target is not None else None
            if field:
                self._count(f"SELECT COUNT(DISTINCT DATE({field})) FROM "
                            f"({statement.expression.sql('bigquery')})")  # fmt: skip

    def _check_copy_partitions(self, copy: dict) -> None:
        destination = copy["destinationTable"]
        field = self._partition_field(
            exp.to_table(f"{destination['datasetId']}.{destination['tableId']}")
        )
        if field:
            for source in copy.get("sourceTables") or [copy["sourceTable"]]:
                self._count(f"SELECT COUNT(DISTINCT DATE({field})) FROM "
                            f"`{source['datasetId']}.{source['tableId']}`")  # fmt: skip

    def _partition_field(self, table: exp.Table) -> str | None:
        status, found = self._ask(
            "GET",
            f"/bigquery/v2/projects/{table.catalog or 'test'}/datasets/{table.db}/tables/{table.name}",
        )
        return (found.get("timePartitioning") or {}).get("field") if status == 200 else None

    def _count(self, sql: str) -> None:
        _, answer = self._ask(
            "POST", "/bigquery/v2/projects/test/queries", {"query": sql, "useLegacySql": False}
        )
        rows = answer.get("rows") or []
        partitions = int(rows[0]["f"][0]["v"]) if rows else 0
        if partitions > self.partitions_per_job:
            raise RuleBroken(
                f"Too many partitions produced by query, allowed {self.partitions_per_job}, "
                f"query produces at least {partitions} partitions"
            )

    def _ask(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        """(status, JSON answer) of one call to the emulator itself."""
        connection = http.client.HTTPConnection(
            self.upstream.hostname, self.upstream.port, timeout=300
        )
        try:
            connection.request(
                method, path, body=json.dumps(body) if body is not None else None,
                headers={"Content-Type": "application/json"},
            )  # fmt: skip
            answer = connection.getresponse()
            return answer.status, json.loads(answer.read() or b"{}")
        finally:
            connection.close()


def _day_of(column: str) -> str:
    return (
        column
        if column.upper().startswith(("DATE(", "DATE_TRUNC(", "TIMESTAMP_TRUNC("))
        else f"DATE({column})"
    )


def _table_key(table: exp.Table, default: str | None) -> str:
    return f"{table.db or default}.{table.name}"


def _target_of(statement: exp.Expression) -> exp.Table | None:
    """The table a DML or DDL statement writes, if any."""
    if isinstance(statement, (exp.Insert, exp.Merge, exp.Update, exp.Delete, exp.Create,
                              exp.Drop, exp.Alter)):  # fmt: skip
        target = statement.this
        if isinstance(target, exp.Schema):
            target = target.this
        return target if isinstance(target, exp.Table) else None
    return None


KINDS = {"gcs": GcsIamProxy, "bigquery": BigQueryIamProxy}


class ProxyProcess:
    """A proxy in a process of its own: a test that runs dbt in its own process
    would otherwise share the interpreter (and its lock) with the proxy's
    threads. ``refused`` and ``allowed`` are read from the proxy's log."""

    def __init__(
        self,
        kind: str,
        upstream: str,
        permissions: dict[str, set[str]],
        directory: Path,
        **options,
    ):
        self.log = directory / f"{kind}-proxy.jsonl"
        self._config = directory / f"{kind}-proxy.json"
        self._config.write_text(json.dumps(
            {"kind": kind, "upstream": upstream, "log": str(self.log), "options": options,
             "permissions": {k: sorted(v) for k, v in permissions.items()}}
        ))  # fmt: skip
        self._process: subprocess.Popen | None = None
        self.host = ""

    def _entries(self, outcome: str) -> list[str]:
        if not self.log.exists():
            return []
        lines = self.log.read_text().splitlines()
        return [entry for line in lines for entry in json.loads(line).get(outcome, [])]

    @property
    def refused(self) -> list[str]:
        return self._entries("refused")

    @property
    def allowed(self) -> list[str]:
        return self._entries("allowed")

    @property
    def broken(self) -> list[str]:
        """Jobs refused or aborted for BigQuery's rules (``BigQueryRules``)."""
        return self._entries("broken")

    def __enter__(self) -> ProxyProcess:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.iam_proxy", str(self._config)],
            stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[1],
        )  # fmt: skip
        self.host = self._process.stdout.readline().strip()
        if not self.host:
            raise RuntimeError(f"the {self._config.name} proxy did not start")
        return self

    def __exit__(self, *exc) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)


if __name__ == "__main__":
    config = json.loads(Path(sys.argv[1]).read_text())
    proxy = KINDS[config["kind"]](
        config["upstream"],
        {k: set(v) for k, v in config["permissions"].items()},
        **config.get("options", {}),
    )
    proxy.log = Path(config["log"])
    print(proxy.host, flush=True)
    proxy._server.serve_forever()
