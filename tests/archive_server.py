"""A real HTTP server on 127.0.0.1 serving archive files, with faults on request."""

from __future__ import annotations

import functools
import http.server
import threading
import time
from pathlib import Path


class ArchiveServer:
    """Serves ``directory`` like data.gharchive.org; ``faults`` bend chosen files.

    faults maps a file name to ``("status", code)`` (answer with that code),
    ``("truncate", n)`` (announce the full length, send only n bytes, close) or
    ``("body", data)`` (answer 200 with ``data``, e.g. an HTML error page) or
    ``("flaky", n)`` (answer 503 to the first n requests, then serve the file) or
    ``("stall", seconds)`` (wait that long before answering, as a hung server does)
    or ``("drip", seconds)`` (answer with the whole length announced, then one
    byte every that many seconds).
    """

    def __init__(self, directory: Path, validators: bool = True):
        self.directory = Path(directory)
        self.validators = validators
        """False: no Last-Modified or ETag, as some mirrors serve files."""
        self.faults: dict[str, tuple[str, int | bytes]] = {}
        self.requests: list[tuple[str, str]] = []
        handler = functools.partial(_Handler, self, directory=str(self.directory))
        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> ArchiveServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


class _Handler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, server_state: ArchiveServer, *args, **kwargs):
        self.state = server_state
        super().__init__(*args, **kwargs)

    def log_message(self, format, *args):  # keep test output quiet
        pass

    def send_header(self, keyword, value):
        if self.state.validators or keyword.lower() not in ("last-modified", "etag"):
            super().send_header(keyword, value)

    def do_HEAD(self):
        if not self._answer_fault(with_body=False):
            super().do_HEAD()

    def do_GET(self):
        if not self._answer_fault(with_body=True):
            super().do_GET()

    def _answer_fault(self, with_body: bool) -> bool:
        """Answer as the fault for this file says; False when it has none."""
        name = self.path.lstrip("/").split("?")[0]
        self.state.requests.append((self.command, name))
        kind, value = self.state.faults.get(name, (None, None))
        if kind == "stall":
            time.sleep(value)
            return False
        if kind == "flaky":
            if value <= 0:
                return False
            self.state.faults[name] = ("flaky", value - 1)
            kind, value = "status", 503
        if kind == "status":
            self.send_error(value)
        elif kind in ("body", "truncate"):
            data = value if kind == "body" else (self.state.directory / name).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if with_body:
                self.wfile.write(data if kind == "body" else data[:value])
                self.wfile.flush()
            self.close_connection = kind == "truncate"
        elif kind == "drip":
            data = (self.state.directory / name).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            for byte in data if with_body else b"":
                try:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                except OSError:  # the client gave up
                    break
                time.sleep(value)
            self.close_connection = True
        else:
            return False
        return True
