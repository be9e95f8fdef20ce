"""The dashboard as a user meets it: ``python -m gharchive_assets.dashboard``
started as ``make dashboard`` does, and headless Chromium reading its pages."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from shutil import which

import pytest

from tests.loopback import free_port, wait_for_port

CHROMIUM = next(
    (found for name in ("chromium", "chromium-browser", "google-chrome") if (found := which(name))),
    None,
)


@contextmanager
def running_dashboard(data_dir: Path, log: Path) -> Iterator[str]:
    """``python -m gharchive_assets.dashboard`` over ``data_dir``: its URL."""
    port = free_port()
    with open(log, "w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gharchive_assets.dashboard"],
            env={**os.environ, "GHARCHIVE_DATA_DIR": str(data_dir), "DASHBOARD_PORT": str(port)},
            stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_for_port(port, process, "the dashboard", 60, log.read_text)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("no Chromium on this machine (.ci/run installs Debian's chromium for CI)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        # Nothing beyond the loopback server: the dashboard must need no network.
        context = chromium.new_context(viewport={"width": 1280, "height": 1400})
        context.route(re.compile(r"^(?!http://127\.0\.0\.1[:/]).*"), lambda route: route.abort())
        yield context
        chromium.close()


def open_view(browser, url: str):
    """A view loaded: its title drawn, no exception shown."""
    page = browser.new_page()
    page.goto(url)
    page.wait_for_selector("h1", timeout=30_000)
    page.wait_for_load_state("networkidle")
    page.wait_for_function(
        "!document.querySelector('[data-testid=stStatusWidget]')", timeout=30_000
    )
    errors = page.query_selector_all("[data-testid=stException]")
    assert not errors, errors[0].inner_text()
    return page


def table_rows(page, heading: str) -> list[list[str]]:
    """The cells of the first table after the heading that contains ``heading``."""
    rows = page.evaluate(
        """(heading) => {
            const title = [...document.querySelectorAll('h1, h2, h3')]
                .find((h) => h.innerText.includes(heading));
            const table = title && [...document.querySelectorAll('table')]
                .find((t) => title.compareDocumentPosition(t) & Node.DOCUMENT_POSITION_FOLLOWING);
            return table && [...table.querySelectorAll('tbody tr')]
                .map((row) => [...row.cells].map((cell) => cell.innerText.trim()));
        }""",
        heading,
    )
    assert rows is not None, f"no table under {heading!r}"
    return rows


def number(text: str) -> int:
    return int(text.replace(",", ""))
