"""How long `make dashboard` takes to its first page, cold.

Starts ``python -m gharchive_assets.dashboard`` over the warehouse in
``--data-dir`` (by default the one bench/dashboard.py built), opens the
Overview in headless Chromium as soon as the port answers, and times, from
the process's start, the port opening and the page drawn (its title, its
charts, no spinner), with the browser asking at once or ``--after`` seconds
later, as a person following the printed link does.

    python bench/dashboard_start.py [--data-dir bench/out/dashboard] [--runs 3] [--after 0 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def first_page(data_dir: Path, chromium: str, after: float) -> tuple[float, float, float]:
    from playwright.sync_api import sync_playwright

    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "gharchive_assets.dashboard"],
        env={**os.environ, "GHARCHIVE_DATA_DIR": str(data_dir), "DASHBOARD_PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        listening = time.perf_counter() - started
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 1400})
            time.sleep(max(0.0, listening + after - (time.perf_counter() - started)))
            asked = time.perf_counter()
            page.goto(f"http://127.0.0.1:{port}")
            page.wait_for_selector("h1", timeout=120_000)
            page.wait_for_function(
                "document.querySelectorAll('.vega-embed canvas, .vega-embed svg').length >= 2"
                " && !document.querySelector('[data-testid=stStatusWidget]')",
                timeout=120_000,
            )
            drawn = time.perf_counter()
            browser.close()
        return listening, drawn - started, drawn - asked
    finally:
        process.terminate()
        process.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, default=HERE / "out" / "dashboard")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--after", type=float, nargs="*", default=[0.0, 5.0],
        help="seconds after the port opens that the browser asks for the page",
    )  # fmt: skip
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        sys.exit("bench/dashboard_start.py needs Chromium (Debian's chromium package)")
    if not (args.data_dir / "warehouse.duckdb").exists():
        sys.exit(f"no warehouse in {args.data_dir}: run bench/dashboard.py first")
    for after in args.after:
        for run in range(1, args.runs + 1):
            listening, drawn, waited = first_page(args.data_dir.resolve(), chromium, after)
            print(
                f"asked {after:g} s after the port opened, run {run}: port open after "
                f"{listening:.1f} s, page drawn {drawn:.1f} s after start, "
                f"{waited:.1f} s after it was asked for"
            )


if __name__ == "__main__":
    main()
