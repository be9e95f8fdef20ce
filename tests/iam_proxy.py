"""A loopback proxy in front of the GCS emulator that enforces IAM as GCS would.

The emulator grants everything. This proxy stands where GCS's front end does:
each request of the JSON API is mapped to the permission GCS checks for it
(Google's Cloud Storage IAM permissions reference), and refused with 403 unless
the calling identity holds it on that bucket. Whoever calls through it (our
lake, dagster-gcp's compute log manager, google-cloud-storage itself) meets
the same refusals as in production. A request it cannot map is refused too, so
a new kind of call fails here before it fails on GCP.
"""

from __future__ import annotations

import http.client
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlsplit

# (method, path pattern) -> permission; the bucket is the pattern's first group.
ROUTES = [
    ("GET", r"/storage/v1/b/([^/]+)", "storage.buckets.get"),
    ("GET", r"/storage/v1/b/([^/]+)/o", "storage.objects.list"),
    ("GET", r"/storage/v1/b/([^/]+)/o/.+", "storage.objects.get"),
    ("GET", r"/download/storage/v1/b/([^/]+)/o/.+", "storage.objects.get"),
    ("POST", r"/upload/storage/v1/b/([^/]+)/o", "storage.objects.create"),
    ("PUT", r"/upload/storage/v1/b/([^/]+)/o", "storage.objects.create"),
    ("DELETE", r"/storage/v1/b/([^/]+)/o/.+", "storage.objects.delete"),
    ("PATCH", r"/storage/v1/b/([^/]+)/o/.+", "storage.objects.update"),
]
# The predefined roles' storage permissions (Google's IAM roles reference).
ROLES = {
    "roles/storage.objectViewer": {"storage.objects.get", "storage.objects.list"},
    "roles/storage.objectAdmin": {
        "storage.objects.create", "storage.objects.delete", "storage.objects.get",
        "storage.objects.list", "storage.objects.update",
    },
    "roles/storage.legacyBucketReader": {"storage.buckets.get", "storage.objects.list"},
}  # fmt: skip


def permission_for(method: str, path: str) -> tuple[str, str] | None:
    """(permission, bucket) GCS checks for a request, or None if unknown."""
    for verb, pattern, permission in ROUTES:
        match = re.fullmatch(pattern, path)
        if verb == method and match:
            return permission, unquote(match.group(1))
    return None


class IamProxy:
    """Serves on 127.0.0.1 as one identity holding ``grants``: bucket -> roles."""

    def __init__(self, upstream: str, grants: dict[str, set[str]]):
        self.upstream = urlsplit(upstream)
        self.permissions = {
            bucket: set().union(*(ROLES[role] for role in roles))
            for bucket, roles in grants.items()
        }
        self.refused: list[str] = []
        self.allowed: list[str] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self):
                path = urlsplit(self.path).path
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                needed = permission_for(self.command, path)
                if needed is None:
                    return self._refuse(f"unmapped {self.command} {path}")
                permission, bucket = needed
                if permission == "storage.objects.create" and proxy._exists(self.path, bucket):
                    # Replacing an object also needs delete.
                    needed_too = "storage.objects.delete"
                    if needed_too not in proxy.permissions.get(bucket, set()):
                        return self._refuse(f"{needed_too} on {bucket} ({self.command} {path})")
                if permission not in proxy.permissions.get(bucket, set()):
                    return self._refuse(f"{permission} on {bucket} ({self.command} {path})")
                proxy.allowed.append(f"{permission} on {bucket}")
                self._forward(body)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

            def _refuse(self, what: str):
                proxy.refused.append(what)
                reply = (
                    b'{"error": {"code": 403, "message": "caller does not have '
                    + what.split(" (")[0].encode()
                    + b'", "errors": [{"reason": "forbidden"}]}}'
                )
                self.send_response(403)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def _forward(self, body: bytes):
                connection = http.client.HTTPConnection(
                    proxy.upstream.hostname, proxy.upstream.port, timeout=60
                )
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                connection.request(self.command, self.path, body=body, headers=headers)
                answer = connection.getresponse()
                data = answer.read()
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in ("transfer-encoding", "content-length", "connection"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                connection.close()

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"http://127.0.0.1:{self._server.server_port}"

    def _exists(self, request_path: str, bucket: str) -> bool:
        """Whether an upload would replace an object (asked of the emulator)."""
        name = parse_qs(urlsplit(request_path).query).get("name", [None])[0]
        if name is None:
            return False
        connection = http.client.HTTPConnection(
            self.upstream.hostname, self.upstream.port, timeout=60
        )
        connection.request("GET", f"/storage/v1/b/{quote(bucket)}/o/{quote(name, safe='')}")
        status = connection.getresponse().status
        connection.close()
        return status == 200

    def __enter__(self) -> IamProxy:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
