"""The UI's backfill path at the whole archive, in headless Chromium on a real
``make dev`` (webserver and daemon) with GHARCHIVE_START at the archive's
first hour (about 138,600 hourly partitions):

1. "All" in the Materialize dialog: the group ``archive_hours`` page →
   Materialize all… → Show all partitions → All, and the same from the
   global lineage's Materialize all… (every asset, as the docs before the
   group said to select), and from ``gharchive/events``'s own page, whose
   upstream ``clean_events_hour`` has the same hours: Dagster's "Upstream data
   missing" warning then looks each selected key up in the partition keys one
   by one (``stateForKey``: ``partitionKeys.indexOf``), at every render.
   Measured: the page's longest main-thread task and the time blocked, from
   the click until the page is quiet.
2. The backfill page: a year of 2024 launched from the group's dialog (the
   range typed, Launch backfill), then its page opened, as a user following
   the toast does, at once and again after ``--watch`` seconds of runs:
   seconds until the Overview's per-asset table shows, and the slowest
   GraphQL answers on the way.

The archive is the year of small hours of bench/backfill_flow.py (built
there if missing), served on loopback, so the runs load for real.

    python bench/ui_backfill.py [--scatter 20000] [--watch 180]

Its last line is ``ui backfill: All blocks X s at worst, Overview in Y s``,
X the group's longest task, Y the slower of the two page loads.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

from backfill_flow import Scenario, small_mirror  # noqa: E402
from ui_partitions import CHROMIUM, GRAPHQL_TIMES, LONG_TASKS, record_graphql, scatter  # noqa: E402

from tests.archive_server import ArchiveServer  # noqa: E402
from tests.dagster_dev import DagsterDev  # noqa: E402
from tests.loopback import free_port  # noqa: E402

START = "2011-02-12-00:00"
LOCATION = "gharchive_assets"
GROUP_URL = f"/locations/{LOCATION}/asset-groups/archive_hours"
YEAR = "[2024-01-01-00:00...2024-12-31-23:00]"


def dismiss_welcome(page) -> None:
    """Dagster's "Join the community" modal, on a fresh instance's first visit."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    with contextlib.suppress(PlaywrightTimeout):
        page.get_by_role("button", name="Skip").click(timeout=3000)


def open_dialog(page, url: str, button_name: str = "Materialize all…") -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.goto(url)
    button = page.get_by_role("button", name=button_name)
    button.wait_for(timeout=300_000)
    dismiss_welcome(page)
    button.click()
    # One asset's page first asks "Are you sure?" when its upstream has never
    # been materialised (clean_events_hour, here).
    with contextlib.suppress(PlaywrightTimeout):
        page.get_by_role("button", name="Confirm").click(timeout=5000)
    try:
        page.get_by_text("Show all partitions").click(timeout=300_000)
        page.get_by_role("button", name="All", exact=True).wait_for(timeout=300_000)
    except Exception:
        page.screenshot(path=str(HERE / "out" / "ui_backfill_dialog.png"))
        raise


def all_click(page, url: str, button_name: str) -> tuple[float, float, float]:
    """ "All" in the dialog: (seconds until the page is quiet again: no long task for
    3 s, longest task s, blocked s)."""
    open_dialog(page, url, button_name)
    page.evaluate("window.__longTasks = []")
    started = time.monotonic()
    page.get_by_role("button", name="All", exact=True).click()
    seen, quiet_since = 0, time.monotonic()
    while time.monotonic() - quiet_since < 3 and time.monotonic() - started < 600:
        page.wait_for_timeout(250)
        count = page.evaluate("window.__longTasks.length")
        if count != seen:
            seen, quiet_since = count, time.monotonic()
    tasks = page.evaluate("window.__longTasks")
    return quiet_since - started, max(tasks, default=0) / 1000, sum(tasks) / 1000


def launch_year(page, port: int) -> str:
    """The year typed into the group's dialog and launched; the backfill's id."""
    from tests.dagster_dev import graphql

    open_dialog(page, f"http://127.0.0.1:{port}{GROUP_URL}")
    field = page.get_by_placeholder("ex:", exact=False)
    field.fill(YEAR)
    field.press("Enter")
    try:
        page.get_by_text("8,784 partitions").first.wait_for(timeout=120_000)
    except Exception:
        page.screenshot(path=str(HERE / "out" / "ui_backfill_launch.png"))
        raise
    page.get_by_role("button", name="Launch backfill").click()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        answer = graphql(
            port,
            "{ partitionBackfillsOrError(limit: 1) { ... on PartitionBackfills { results { id } } } }",
        )
        results = answer["partitionBackfillsOrError"]["results"]
        if results:
            return results[0]["id"]
        time.sleep(0.5)
    raise TimeoutError("no backfill after Launch backfill")


def overview(context, port: int, backfill_id: str) -> tuple[float, dict[str, float]]:
    """Seconds until the backfill page's Overview shows its per-asset table, and
    the slowest GraphQL answers of that page load."""
    GRAPHQL_TIMES.clear()
    page = context.new_page()
    started = time.monotonic()
    page.goto(f"http://127.0.0.1:{port}/runs/b/{backfill_id}?tab=overview")
    try:
        page.get_by_text("% completed").first.wait_for(timeout=600_000)
    except Exception:
        page.screenshot(path=str(HERE / "out" / "ui_backfill_overview.png"))
        raise
    seconds = time.monotonic() - started
    page.close()
    slowest = dict(sorted(GRAPHQL_TIMES.items(), key=lambda item: -item[1])[:3])
    return seconds, slowest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scatter", type=int, default=20_000, help="hours materialised first")
    parser.add_argument("--watch", type=float, default=180.0, help="seconds of runs before reload")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    year = Scenario("year", datetime(2024, 1, 1, tzinfo=UTC), 366 * 24, 50, 0)
    with contextlib.ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ui-backfill-")))
        server = stack.enter_context(ArchiveServer(small_mirror(year)))
        home = scratch / "home"
        home.mkdir()
        (home / "dagster.yaml").write_text((REPO / "deploy/dagster.local.yaml").read_text())
        if args.scatter:
            hours, seconds = scatter(home, START, args.scatter)
            print(f"{hours:,} hours of gharchive/events materialised, with gaps ({seconds:.0f} s)")
        env = {"GHARCHIVE_BASE_URL": server.url, "GHARCHIVE_START": START,
               "GHARCHIVE_DATA_DIR": str(scratch / "data")}  # fmt: skip
        dev = DagsterDev(home, env, free_port())
        stack.callback(dev.stop)
        playwright = stack.enter_context(sync_playwright())
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        stack.callback(browser.close)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.add_init_script(LONG_TASKS)
        context.on("requestfinished", record_graphql)
        base = f"http://127.0.0.1:{dev.port}"
        blocks = {}
        for label, url, button_name in (
            ("group archive_hours", base + GROUP_URL, "Materialize all…"),
            ("every asset", base + "/asset-groups", "Materialize all…"),
            ("gharchive/events alone", base + "/assets/gharchive/events", "Materialize…"),
        ):
            page = context.new_page()
            seconds, longest, blocked = all_click(page, url, button_name)
            page.close()
            blocks[label] = longest
            print(
                f'"All" in the dialog, {label}: quiet after {seconds:.1f} s, longest task '
                f"{longest:.2f} s, blocked {blocked:.2f} s",
                flush=True,
            )
        page = context.new_page()
        backfill_id = launch_year(page, dev.port)
        page.close()
        loads = []
        for moment in ("at once", f"after {args.watch:.0f} s of runs"):
            if loads:
                time.sleep(args.watch)
            seconds, slowest = overview(context, dev.port, backfill_id)
            loads.append(seconds)
            answers = ", ".join(f"{name} {s:.2f} s" for name, s in slowest.items())
            print(
                f"the backfill page's Overview {moment}: {seconds:.1f} s (slowest: {answers})",
                flush=True,
            )
    print(
        f"ui backfill: All blocks {blocks['group archive_hours']:.2f} s at worst, "
        f"Overview in {max(loads):.1f} s"
    )


if __name__ == "__main__":
    main()
