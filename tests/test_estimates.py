"""The loss-aware estimates, validated where the truth is known: a complete
hour, and the same hour thinned (each event kept with probability 0.4, ids
kept), an hour later. Loaded through the real definitions; the estimates view
built by dbt (what it reads, and no more) with the complete hour as its reference. Each type's true count
(the complete hour's) must fall within the thinned hour's interval."""

from __future__ import annotations

import gzip
import json
import os
import random
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import orjson
import pytest

from gharchive_assets.core.dbt_project import DBT_PROJECT_DIR, dbt_executable
from gharchive_assets.core.settings import Settings
from tests.archive_server import ArchiveServer
from tests.browser import open_view, running_dashboard
from tests.pipeline import materialize_hours, query
from tests.synthetic import ArchiveFaker, write_hour

pytestmark = pytest.mark.slow

COMPLETE, THINNED = datetime(2015, 1, 1, 1, tzinfo=UTC), datetime(2015, 1, 1, 2, tzinfo=UTC)
KEPT = 0.4
HOURLY_ASSETS = [
    dg.AssetKey(["raw_archive_hour"]), dg.AssetKey(["clean_events_hour"]),
    dg.AssetKey(["gharchive", "events"]),
]  # fmt: skip
REAL_HOUR = Path(__file__).parents[2] / "shared/fixtures/gharchive/2015-01-01-1.json.gz"


def thinned(records: list[dict], seed: int) -> list[dict]:
    """Each event kept with probability KEPT, moved an hour later, its id kept."""
    rng = random.Random(seed)
    return [
        {**record, "created_at": record["created_at"].replace("T01:", "T02:", 1)}
        for record in records
        if rng.random() < KEPT
    ]


def synthetic_hour() -> list[dict]:
    return ArchiveFaker(seed=31).hour(COMPLETE, 6000)


def real_hour() -> list[dict]:
    if not REAL_HOUR.exists():
        pytest.skip(f"no real archive hour at {REAL_HOUR}")
    with gzip.open(REAL_HOUR) as lines:
        return [orjson.loads(line) for line in lines if line.strip()]


@pytest.mark.parametrize("hour", [synthetic_hour, real_hour], ids=["synthetic", "real 2015 hour"])
def test_a_thinned_hour_is_estimated_back_to_the_truth(hour, tmp_path, browser):
    records = hour()
    directory = tmp_path / "archive"
    write_hour(directory, COMPLETE, records)
    write_hour(directory, THINNED, thinned(records, seed=3))
    with ArchiveServer(directory) as server:
        settings = Settings(base_url=server.url, data_dir=tmp_path / "data")
        home = tmp_path / "home"
        home.mkdir()
        with dg.instance_for_test(temp_dir=str(home)) as instance:
            first, last = (f"{moment:%Y-%m-%d-%H}:00" for moment in (COMPLETE, THINNED))
            hours = materialize_hours(settings, instance, first, last, selection=HOURLY_ASSETS)
            assert hours.success
    reference = {
        "duckdb_path": str(settings.warehouse_path),
        "capture_reference_start": f"{COMPLETE:%Y-%m-%d %H}:00:00",
        "capture_reference_end": f"{THINNED:%Y-%m-%d %H}:00:00",
    }
    built = subprocess.run(
        # The estimates and what the Coverage view reads, over every loaded day.
        [dbt_executable(), "run", "--select", "+event_estimates_hourly", "+coverage_daily",
         "+daily_event_counts", "--target", "local",
         "--vars", json.dumps(reference), "--target-path", str(tmp_path / "target")],
        cwd=DBT_PROJECT_DIR, capture_output=True, text=True,
        env={**os.environ, "DBT_LOG_PATH": str(tmp_path)},
    )  # fmt: skip
    assert built.returncode == 0, built.stdout[-3000:]
    rows = query(
        settings,
        "select hour, event_type, observed_events, relative_capture, is_estimate, "
        "estimated_events, estimated_low, estimated_high from analytics.event_estimates_hourly",
    )
    truth = {t: n for h, t, n, *_ in rows if h == COMPLETE.replace(tzinfo=None)}
    complete = [r for r in rows if r[0] == COMPLETE.replace(tzinfo=None)]
    assert complete and not any(r[4] for r in complete), "the reference hour is no estimate"
    estimates = {t: rest for h, t, *rest in rows if h == THINNED.replace(tzinfo=None)}
    assert all(is_estimate for _, _, is_estimate, *_ in estimates.values())
    relative = next(iter(estimates.values()))[1]
    assert relative == pytest.approx(KEPT, abs=0.03), "capture measured from the ids alone"
    covered = [
        truth[t] and low <= truth[t] <= high
        for t, (_, _, _, _, low, high) in estimates.items()
        if truth.get(t, 0) >= 20
    ]
    assert len(covered) >= 5 and sum(covered) >= 0.9 * len(covered), (truth, estimates)
    estimated_total = sum(e[3] for e in estimates.values())
    assert estimated_total == pytest.approx(sum(truth.values()), rel=0.08)
    observed = sum(e[0] for e in estimates.values())
    assert observed < 0.5 * sum(truth.values()), "the observed counts stay what was caught"
    if hour is synthetic_hour:  # the dashboard draws them, once
        with running_dashboard(settings.data_dir, tmp_path / "dashboard.log") as url:
            page = open_view(browser, f"{url}/coverage?from=2015-01-01&to=2015-01-01")
            page.wait_for_selector("text=estimated where the archive caught less")
            page.wait_for_selector("[data-testid=stVegaLiteChart]", timeout=30_000)
