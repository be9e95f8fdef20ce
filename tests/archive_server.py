"""A real HTTP server on 127.0.0.1 serving archive files, with faults on request."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path


class ArchiveServer:
    """Serves ``directory`` like data.gharchive.org; ``faults`` bend chosen files.

    faults maps a file name to ``("status", code)`` (answer with that code),
    ``("truncate", n)`` (announce the full length, send only n bytes, close) or
    ``("body", data)`` (answer 200 with ``data``, e.g. an HTML error page).
    """

    def __init__(self, directory: Path):
        self.directory = Path(directory)
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

    def _fault(self):
        name = self.path.lstrip("/").split("?")[0]
        self.state.requests.append((self.command, name))
        return self.state.faults.get(name), name

    def do_HEAD(self):
        fault, _ = self._fault()
        if fault and fault[0] == "status":
            self.send_error(fault[1])
            return
        if fault and fault[0] == "body":
            self.send_response(200)
            self.send_header("Content-Length", str(len(fault[1])))
            self.end_headers()
            return
        super().do_HEAD()

    def do_GET(self):
        fault, name = self._fault()
        if fault and fault[0] == "status":
            self.send_error(fault[1])
            return
        if fault and fault[0] == "body":
            self.send_response(200)
            self.send_header("Content-Length", str(len(fault[1])))
            self.end_headers()
            self.wfile.write(fault[1])
            return
        if fault and fault[0] == "truncate":
            data = (self.state.directory / name).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: fault[1]])
            self.wfile.flush()
            self.close_connection = True
            return
        super().do_GET()
