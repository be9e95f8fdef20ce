"""How the Dagster UI copes with the hourly partitions: the `gharchive/events`
asset page, its Partitions tab and the Materialize dialog, in headless Chromium,
at three starts (one year ago, 2015-01-01, the archive's first hour), with no
partition materialised and with a scatter of materialised ones with gaps.

Each start gets a fresh DAGSTER_HOME and a real `dagster-webserver` on this
repository's workspace. A view's time runs from the navigation (or the click)
to the moment it shows its figures: the asset page its Materialize button, the
Partitions tab its status counts, the dialog its partition count. Long tasks
(the page's main thread blocked over 50 ms) are summed and the longest kept.

    python bench/ui_partitions.py [--scatter 20000]

Its last line is ``full/one-year: X``: the slowest view at 2011-02-12 over the
same view at one year, the worse of the two scatter settings.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ASSET_URL = "/assets/gharchive/events"
ARCHIVE_FIRST_HOUR = "2011-02-12-00:00"
LONG_TASKS = """
window.__longTasks = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) window.__longTasks.push(entry.duration);
}).observe({entryTypes: ["longtask"]});
"""


def one_year_ago() -> str:
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=365)
    return hour.strftime("%Y-%m-%d-%H:%M")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def scatter(home: Path, start: str, count: int) -> tuple[int, float]:
    """Materialise ``count`` hours of gharchive/events (at most half the range) in
    20 runs of consecutive hours spread over it, the gaps between them missing;
    the hours materialised and the seconds taken."""
    import dagster as dg

    from gharchive_assets.core.partitions import hourly_partitions
    from gharchive_assets.instance.local_instance import instance_at

    keys = hourly_partitions(start).get_partition_keys()
    blocks, size = 20, min(count, len(keys) // 2) // 20
    stride = len(keys) // blocks
    chosen = [k for b in range(blocks) for k in keys[b * stride : b * stride + size]]
    started = time.monotonic()
    with instance_at(home) as instance:
        for key in chosen:
            instance.report_runless_asset_event(
                dg.AssetMaterialization(asset_key=["gharchive", "events"], partition=key)
            )
    return len(chosen), time.monotonic() - started


class Webserver:
    """dagster-webserver on loopback with GHARCHIVE_START=start, over a fresh home."""

    def __init__(self, home: Path, start: str):
        self.port = free_port()
        env = {**os.environ, "DAGSTER_HOME": str(home), "GHARCHIVE_START": start,
               "GHARCHIVE_DATA_DIR": str(home / "data")}  # fmt: skip
        self.log = open(home / "webserver.log", "wb")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [str(Path(sys.executable).with_name("dagster-webserver")), "-w", "workspace.yaml",
             "-h", "127.0.0.1", "-p", str(self.port)],
            cwd=REPO, env=env, stdout=self.log, stderr=self.log, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 180
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("dagster-webserver did not start") from None
                time.sleep(0.5)
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)
        self.log.close()


GRAPHQL_TIMES: dict[str, float] = {}
"""The slowest answer of each GraphQL operation (seconds, request to last
byte) of the views measured last: how much of a view's time is the server's."""


def record_graphql(request) -> None:
    url = urlsplit(request.url)
    if not url.path.endswith("/graphql"):
        return
    name = parse_qs(url.query).get("op", [None])[0]  # the UI names its queries: ?op=Name
    if name is None:
        try:
            name = json.loads(request.post_data or "{}").get("operationName") or "?"
        except ValueError:
            name = "?"
    timing = request.timing
    seconds = (timing["responseEnd"] - timing["requestStart"]) / 1000
    GRAPHQL_TIMES[name] = max(GRAPHQL_TIMES.get(name, 0.0), seconds)


def measure_views(context, url: str) -> dict[str, tuple[float, float, float]]:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    """Each view: (seconds to its figures, longest long task, sum of long tasks), ms for the last two."""
    results = {}
    GRAPHQL_TIMES.clear()

    def long_tasks(page) -> tuple[float, float]:
        tasks = page.evaluate("window.__longTasks")
        return (max(tasks, default=0.0), sum(tasks))

    def dismiss_welcome(page) -> None:
        """Dagster's "Join the community" modal, on a fresh instance's first visit."""
        with contextlib.suppress(PlaywrightTimeout):
            page.get_by_role("button", name="Skip").click(timeout=5000)

    page = context.new_page()
    started = time.monotonic()
    page.goto(url + ASSET_URL)
    materialize = page.get_by_role("button", name="Materialize…")
    materialize.wait_for(timeout=600_000)
    results["asset page"] = (time.monotonic() - started, *long_tasks(page))
    dismiss_welcome(page)

    page.evaluate("window.__longTasks = []")
    started = time.monotonic()
    materialize.click()
    confirm = page.get_by_role("button", name="Confirm")
    showing = page.get_by_text("partitions", exact=False).filter(has_text="Showing")
    while not showing.count():
        if confirm.count():  # "upstream data missing": confirmed, as a user does
            with contextlib.suppress(PlaywrightTimeout):
                confirm.click(timeout=1000)
        if time.monotonic() - started > 600:
            raise TimeoutError("the Materialize dialog did not show its partitions")
        page.wait_for_timeout(50)
    results["Materialize dialog"] = (time.monotonic() - started, *long_tasks(page))
    page.close()

    page = context.new_page()
    started = time.monotonic()
    page.goto(url + ASSET_URL + "?view=partitions")
    page.get_by_text("Missing (").first.wait_for(timeout=600_000)
    results["Partitions tab"] = (time.monotonic() - started, *long_tasks(page))
    page.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scatter", type=int, default=20_000)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    starts = {"one year": one_year_ago(), "2015-01-01": "2015-01-01-00:00",
              "2011-02-12": ARCHIVE_FIRST_HOUR}  # fmt: skip
    figures: dict[tuple[str, str], dict] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for label, start in starts.items():
            home = Path(tempfile.mkdtemp(prefix="ui-partitions-"))
            (home / "dagster.yaml").write_text((REPO / "deploy/dagster.local.yaml").read_text())
            for materialised in (0, args.scatter):
                if materialised:
                    hours, seconds = scatter(home, start, materialised)
                    print(f"  ({hours:,} hours materialised, with gaps, in {seconds:.0f} s)")
                server = Webserver(home, start)
                try:
                    context = browser.new_context(viewport={"width": 1400, "height": 1000})
                    context.add_init_script(LONG_TASKS)
                    context.on("requestfinished", record_graphql)
                    measure_views(context, server.url)  # warm: the code location, caches
                    views = measure_views(context, server.url)
                    slowest = sorted(GRAPHQL_TIMES.items(), key=lambda item: -item[1])[:4]
                    print(
                        f"{label:>10}  {materialised:>6,} materialised  slowest GraphQL: "
                        + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in slowest)
                    )
                    context.close()
                finally:
                    server.stop()
                figures[(label, str(materialised))] = views
                for view, (seconds, longest, total) in views.items():
                    print(
                        f"{label:>10}  {materialised:>6,} materialised  {view:<20} "
                        f"{seconds:6.2f} s  longest task {longest / 1000:5.2f} s  "
                        f"blocked {total / 1000:5.2f} s",
                        flush=True,
                    )
            shutil.rmtree(home, ignore_errors=True)
        browser.close()
    worst = 0.0
    for materialised in ("0", str(args.scatter)):
        full, year = figures[("2011-02-12", materialised)], figures[("one year", materialised)]
        view = max(full, key=lambda name: full[name][0])
        worst = max(worst, full[view][0] / year[view][0])
    print(f"full/one-year: {worst:.2f}")


if __name__ == "__main__":
    main()
