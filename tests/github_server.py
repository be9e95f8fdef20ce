"""A real HTTP server on 127.0.0.1 answering like GitHub's REST API star history.

``GET /repos/{owner}/{repo}/stargazers/history?per_page=N&page=P``: a JSON
array of weeks, newest first, each ``{"week": <unix seconds of its Sunday,
00:00 UTC>, "total": n, "days": [7 counts]}``; ``Link`` headers to the next
and last pages; an ``ETag`` per page, and 304 to a matching ``If-None-Match``;
``X-RateLimit-*`` headers on every answer. Faults on request: a repository
gone (404) or blocked (451), rate limits (403 with the primary limit spent, or
429 with ``Retry-After``), server errors.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
import time
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlparse

MAX_PER_PAGE = 30


def week_start(day: date) -> date:
    """The Sunday that begins ``day``'s week."""
    return day - timedelta(days=(day.weekday() + 1) % 7)


def weeks_of(stars: dict[date, int], through: date) -> list[dict]:
    """The documented shape of a history: every week from the first star's to
    ``through``'s, newest first."""
    if not stars:
        return []
    weeks = []
    first = week_start(min(stars))
    start = week_start(through)
    while start >= first:
        days = [stars.get(start + timedelta(days=offset), 0) for offset in range(7)]
        moment = datetime(start.year, start.month, start.day, tzinfo=UTC)
        weeks.append({"week": int(moment.timestamp()), "total": sum(days), "days": days})
        start -= timedelta(days=7)
    return weeks


class GitHubServer:
    """``histories``: owner/name -> {day: stars}. ``faults``: owner/name ->
    ``("status", code)`` always, ``("status_once", code)`` the first time,
    ``("stall", seconds)`` (no answer for that long), ``("drip", seconds)``
    (the answer one byte at a time, that many seconds apart), ``("body",
    value)`` (that JSON instead of the weeks), ``("next", url)`` (the first
    page's ``Link`` names ``url`` as the next) or ``("redirect", url)`` (301 to it);
    ``rate_limits``: answers to give before the next ones, each ``("primary",
    seconds)`` (403, remaining 0, reset that far ahead) or ``("retry_after",
    seconds)`` (429)."""

    def __init__(self, histories: dict[str, dict[date, int]], today: date, token: str = "t0k"):
        self.histories = histories
        self.today = today
        self.token = token
        self.faults: dict[str, tuple[str, int]] = {}
        self.rate_limits: list[tuple[str, int]] = []
        self.requests: list[dict] = []
        self.remaining = 5000
        self._lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"server_state": self})
        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def __enter__(self) -> GitHubServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def answered(self, status: int) -> list[dict]:
        return [r for r in self.requests if r["status"] == status]

    def asked_for(self, repo: str) -> list[dict]:
        return [r for r in self.requests if r["repo"] == repo]


class _Handler(http.server.BaseHTTPRequestHandler):
    server_state: GitHubServer

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        state = self.server_state
        url = urlparse(self.path)
        parts = url.path.strip("/").split("/")
        repo = "/".join(parts[1:3]) if len(parts) == 5 else None
        stall = state.faults.get(repo)
        if stall and stall[0] == "stall":  # as a hung server does: for that long
            state.requests.append({"path": self.path, "repo": repo, "status": "stalled"})
            time.sleep(stall[1])
        with state._lock:
            record = {"path": self.path, "repo": repo, "headers": dict(self.headers)}
            state.requests.append(record)
            status, body, headers = self._answer(state, url, parts, repo)
            record["status"] = status
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        data = json.dumps(body).encode() if body is not None else b""
        if status not in (301, 304):
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        drip = state.faults.get(repo)
        if status in (301, 304):
            return
        if drip and drip[0] == "drip":  # as a server that sends a byte now and then
            for byte in data:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(drip[1])
            return
        self.wfile.write(data)

    def _answer(self, state: GitHubServer, url, parts, repo):
        limits = {
            "X-RateLimit-Limit": "5000",
            "X-RateLimit-Resource": "core",
            "X-RateLimit-Reset": str(int(time.time()) + 3600),
        }
        if self.headers.get("Authorization") != f"Bearer {state.token}":
            return 401, {"message": "Bad credentials"}, limits
        if state.rate_limits:
            kind, seconds = state.rate_limits.pop(0)
            if kind == "primary":
                reset = {
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": str(int(time.time()) + seconds),
                }
                return 403, {"message": "API rate limit exceeded"}, {**limits, **reset}
            return 429, {"message": "You have exceeded a secondary rate limit"}, {
                **limits, "Retry-After": str(seconds), "X-RateLimit-Remaining": str(state.remaining)
            }  # fmt: skip
        if len(parts) != 5 or parts[0] != "repos" or parts[3:] != ["stargazers", "history"]:
            return 404, {"message": "Not Found"}, limits
        fault = state.faults.get(repo)
        if fault is not None and fault[0] == "redirect":
            return 301, None, {**limits, "Location": fault[1]}
        if fault is not None and fault[0] == "body":
            return 200, fault[1], limits
        if fault is not None and fault[0] not in ("stall", "drip", "next"):
            kind, code = fault
            if kind == "status_once":
                del state.faults[repo]
            return (
                code,
                {"message": "Repository access blocked" if code == 451 else "Not Found"},
                limits,
            )
        if repo not in state.histories:
            return 404, {"message": "Not Found"}, limits
        state.remaining -= 1
        limits["X-RateLimit-Remaining"] = str(state.remaining)
        query = parse_qs(url.query)
        per_page = min(int(query.get("per_page", ["30"])[0]), MAX_PER_PAGE)
        page = int(query.get("page", ["1"])[0])
        weeks = weeks_of(state.histories[repo], state.today)
        body = weeks[(page - 1) * per_page : page * per_page]
        etag = '"' + hashlib.sha256(json.dumps(body).encode()).hexdigest()[:20] + '"'
        headers = {**limits, "ETag": etag}
        last = max(1, -(-len(weeks) // per_page))
        base = f"{state.url}/repos/{repo}/stargazers/history?per_page={per_page}"
        links = []
        if fault is not None and fault[0] == "next":
            links.append(f'<{fault[1]}>; rel="next"')
        elif page < last:
            links.append(f'<{base}&page={page + 1}>; rel="next"')
        links.append(f'<{base}&page={last}>; rel="last"')
        headers["Link"] = ", ".join(links)
        if self.headers.get("If-None-Match") == etag:
            state.remaining += 1  # a 304 costs no rate limit
            return 304, None, headers
        return 200, body, headers
