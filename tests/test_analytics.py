"""The analytics marts, dimensions and daily report on the local target.

Hours arrive out of order (a day's last hour first, its earlier hours later,
one hour run twice) and from two eras (2015 and trimmed 2025 payloads); every
mart must still equal figures computed in plain Python from the records.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from PIL import Image

from gharchive_assets.core.dbt_project import DBT_PROJECT_DIR, dbt_executable
from gharchive_assets.core.settings import Settings
from gharchive_assets.definitions import build_definitions
from gharchive_assets.reporting.daily_report import PALETTE
from tests import expected
from tests.archive_server import ArchiveServer
from tests.browser import CHROMIUM, number, open_view, running_dashboard, table_rows
from tests.pipeline import materialize_hours, query, step_failure_message
from tests.synthetic import ArchiveFaker, write_hour

# Starts processes, servers or emulators: not in the fast lane.
pytestmark = pytest.mark.slow

DAY_ONE, TRIMMED_DAY = date(2015, 1, 1), date(2025, 11, 3)
# An automation account with a plain name, pushing at a machine's pace, and a
# busy person whose login contains "bot" (bots by behaviour, macros/bots.sql).
MACHINE, BUSY_PERSON = "nightly-mirror", "robotics-lab-student"
BURSTS = {MACHINE: 45, BUSY_PERSON: 30}
# (first, last) hours of each run, in the order they run.
RUNS = [
    ("2015-01-02-00:00", "2015-01-02-00:00"),  # the next day's hour arrives first
    ("2015-01-01-22:00", "2015-01-01-23:00"),  # then the day's own, late
    ("2015-01-01-23:00", "2015-01-01-23:00"),  # and one hour again
    ("2025-11-03-10:00", "2025-11-03-10:00"),  # trimmed payloads, late events
]


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    directory = tmp_path_factory.mktemp("analytics_archive")
    faker = ArchiveFaker(seed=66)
    hours = {}
    for hour, events, era in (
        (datetime(2015, 1, 1, 22, tzinfo=UTC), 900, "events"),
        (datetime(2015, 1, 1, 23, tzinfo=UTC), 900, "events"),
        (datetime(2015, 1, 2, 0, tzinfo=UTC), 700, "events"),
        (datetime(2025, 11, 3, 10, tzinfo=UTC), 700, "trimmed"),
    ):
        records = faker.hour(
            hour,
            events,
            era=era,
            # GH Archive's duplicates lie in neighbouring hours; a copy from ten
            # years before is outside the hour's created_at window (quarantined).
            duplicates=40 if hours and era == "events" else 0,
            late=20 * (era == "trimmed"),
            bursts=BURSTS if hour.hour == 22 else None,
        )
        if era == "trimmed":
            records = ids_issued_again(records, hours[datetime(2015, 1, 1, 22, tzinfo=UTC)])
        write_hour(directory, hour, records)
        hours[hour] = records
    with ArchiveServer(directory) as server:
        yield server, hours


def ids_issued_again(records: list[dict], earlier: list[dict]) -> list[dict]:
    """GitHub's ids repeat across years, so an event is (id, created_at): one
    event of the hour takes the id of an event of 2015, and two events of the
    hour share an id with different created_at. All are distinct events."""
    first, second = records[0], records[1]
    moment = datetime.fromisoformat(second["created_at"].replace("Z", "+00:00"))
    twin = {**second, "created_at": (moment + timedelta(minutes=17)).isoformat()}
    return [{**first, "id": earlier[5]["id"]}, *records[1:], twin]


@pytest.fixture(scope="module")
def settings(archive, tmp_path_factory) -> Settings:
    server, _ = archive
    return Settings(base_url=server.url, data_dir=tmp_path_factory.mktemp("analytics_data"))


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    home = tmp_path_factory.mktemp("analytics_dagster_home")
    with dg.instance_for_test(temp_dir=str(home)) as test_instance:
        yield test_instance


@pytest.fixture(scope="module")
def events(archive, settings, instance) -> list[dict]:
    """Every run done; the distinct events they loaded."""
    for first, last in RUNS:
        result = materialize_hours(settings, instance, first, last)
        assert result.success, f"run {first}...{last} failed"
    return expected.deduplicated(archive[1])


def test_contributors_rank_people_apart_from_bots(events, settings):
    rows = query(
        settings,
        "select day, actor_id, contributions, pushes, is_bot, rank_without_bots "
        "from analytics.contributors_daily",
    )
    assert {(d, a): tuple(rest) for d, a, *rest in rows} == expected.contributors_daily(events)
    top = [r for r in rows if r[0] == DAY_ONE and r[5] == 1]
    assert top and not any(r[4] for r in top), "rank 1 without bots is a person"
    assert any(r[4] for r in rows), "the generated days have bots"
    pace = {
        login: rest
        for login, *rest in query(
            settings,
            "select actor_login, max_pushes_in_an_hour, is_bot_by_name, is_bot_by_behaviour, "
            "is_bot from analytics.actor_behaviour_daily where day = ?",
            [DAY_ONE],
        )
    }
    assert pace[MACHINE][0] >= BURSTS[MACHINE] and pace[MACHINE][1:] == [False, True, True]
    assert BURSTS[BUSY_PERSON] <= pace[BUSY_PERSON][0] < 40
    assert pace[BUSY_PERSON][1:] == [False, False, False], "a busy person is no bot"


def test_pull_requests_count_merges_and_time_to_merge(events, settings):
    rows = query(
        settings,
        "select day, repo_id, opened, closed, merged, closed_merge_unknown, "
        "avg_hours_to_merge, merged_additions from analytics.pull_requests_daily",
    )
    got = {(d, r): tuple(rest) for d, r, *rest in rows}
    want = expected.pull_requests_daily(events)
    assert got.keys() == want.keys()
    for key, (*counts, hours, additions) in want.items():
        assert got[key][:4] == tuple(counts), key
        assert got[key][4] == pytest.approx(hours, abs=1e-6), key
        assert got[key][5] == additions, key
    trimmed = [v for (d, _), v in got.items() if d == TRIMMED_DAY]
    assert trimmed and all(v[4] is None and v[5] is None for v in trimmed), (
        "time to merge and sizes are null, never 0, once payloads are trimmed"
    )
    assert any(v[3] for v in trimmed), "closed pull requests of unknown merge state are counted"
    assert any(v[4] is not None for (d, _), v in got.items() if d == DAY_ONE)


def test_issues_labels_releases_and_new_repositories(events, settings):
    issues = query(
        settings,
        "select day, repo_id, opened, closed, comments_on_issues, comments_on_pull_requests "
        "from analytics.issues_daily",
    )
    assert {(d, r): tuple(rest) for d, r, *rest in issues} == expected.issues_daily(events)

    labels = query(
        settings,
        "select day, label, issue_events, issues_opened, pull_request_events, repos "
        "from analytics.issue_labels_daily",
    )
    want = expected.issue_labels_daily(events)
    assert want and {(d, lab): tuple(rest) for d, lab, *rest in labels} == want

    releases = query(settings, "select day, repo_id, releases, tags from analytics.releases_daily")
    assert {(d, r): tuple(rest) for d, r, *rest in releases} == expected.releases_daily(events)

    created = query(settings, "select day, repo_id from analytics.new_repositories_daily")
    assert len(created) == len(set(created))
    assert set(created) == expected.new_repositories(events)


def test_organisations_hours_and_popularity(events, settings):
    orgs = query(
        settings, "select day, org_id, events, actors, repos from analytics.org_activity_daily"
    )
    assert {(d, o): tuple(rest) for d, o, *rest in orgs} == expected.org_activity_daily(events)

    hourly = query(settings, "select hour, event_type, events from analytics.hourly_event_counts")
    assert {(h, t): n for h, t, n in hourly} == expected.hourly_event_counts(events)

    (top,) = query(
        settings,
        "select repo_id, stars from analytics.repo_popularity_daily "
        "where day = ? and star_rank = 1 order by repo_id limit 1",
        [DAY_ONE],
    )
    stars = expected.repo_activity_daily([e for e in events if expected.day_of(e) == DAY_ONE])
    assert top[1] == max(v[1] for v in stars.values())


def test_dimensions_fold_late_hours_and_reruns(events, settings):
    rows = query(
        settings,
        "select actor_id, actor_login, first_seen_at, last_seen_at from analytics.dim_actors",
    )
    got = {a: (login, first, last) for a, login, first, last in rows}
    want = {
        a: (login, first.replace(tzinfo=None), last.replace(tzinfo=None))
        for a, (login, first, last) in expected.actors_seen(events).items()
    }
    assert len(rows) == len(got), "one row per actor"
    assert got == want
    (repos,) = query(settings, "select count(*), count(distinct repo_key) from analytics.dim_repos")
    assert repos[0] == repos[1] == len({e["repo"]["id"] for e in events})


def test_dbt_tests_are_asset_checks_in_groups(settings):
    defs = build_definitions(settings)
    graph = defs.resolve_asset_graph()
    groups = {key.to_user_string(): graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert groups["analytics/contributors_daily"] == "analytics"
    assert groups["analytics/dim_actors"] == "analytics"
    assert groups["analytics/stg_gharchive__pull_request_events"] == "analytics_staging"
    assert groups["analytics/int_events__deduped"] == "analytics_intermediate"
    assert groups["analytics/repo_activity_monthly"] == "analytics_rollups"
    assert groups["daily_report"] == "reports"
    spec = graph.get(dg.AssetKey(["analytics", "pull_requests_daily"]))
    assert "time to merge" in spec.description
    checks = {(c.asset_key.to_user_string(), c.name) for c in graph.asset_check_keys}
    assert (
        "analytics/pull_requests_daily",
        "assert_pull_requests_daily_match_staging",
    ) in checks
    assert any(
        key == "analytics/contributors_daily" and "relationships" in name for key, name in checks
    )


def test_dbt_docs_generate(events, settings, tmp_path):
    completed = subprocess.run(
        [
            dbt_executable(), "docs", "generate",
            "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target", "local", "--target-path", str(tmp_path),
            "--vars", json.dumps({"duckdb_path": str(settings.warehouse_path)}),
        ],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert (tmp_path / "index.html").exists()
    catalog = json.loads((tmp_path / "catalog.json").read_text())
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    models = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    tables = {n["metadata"]["name"]: n for n in catalog["nodes"].values()}
    for name, node in models.items():
        assert node["description"], f"{name} has no description"
        assert name in tables, f"{name} is not in the catalog"
        built = set(tables[name]["columns"])
        assert built == set(node["columns"]), f"{name}: every column documented, no more"
        assert all(c["description"] for c in node["columns"].values()), name


def test_full_history_tests_pass_and_catch_a_wrong_mart(events, settings, instance):
    """The weekly job tests every day of history, not only a run's."""
    job = build_definitions(settings).resolve_job_def("full_history_tests_job")
    result = job.execute_in_process(instance=instance)
    assert result.success
    (output,) = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT"]
    assert output.step_output_data.metadata["tests"].value > 0
    # No value for an IO manager to write: on GKE the default one writes under
    # the chart's DAGSTER_HOME (root's), as uid 10001.
    outputs = [o for node in job.graph.node_defs for o in node.output_defs]
    assert outputs and all(o.dagster_type.is_nothing for o in outputs)
    assert not [e for e in result.all_events if e.event_type_value == "HANDLED_OUTPUT"]

    def shift_first_day(by: int) -> None:
        with duckdb.connect(str(settings.warehouse_path)) as connection:
            connection.execute(
                "update analytics.daily_event_counts set events = events + ? "
                "where day = (select min(day) from analytics.daily_event_counts)",
                [by],
            )

    shift_first_day(1)
    try:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
    finally:
        shift_first_day(-1)
    assert not result.success
    message = step_failure_message(result)
    assert "assert_daily_event_counts_match_staging" in message and "over all history" in message


@pytest.fixture(scope="module")
def report(events, settings, instance):
    """The report of the first day, materialised as the daily schedule would."""
    defs = build_definitions(settings)
    result = defs.resolve_job_def("daily_report_job").execute_in_process(
        partition_key=DAY_ONE.isoformat(), instance=instance
    )
    assert result.success
    (materialization,) = result.asset_materializations_for_node("daily_report")
    return settings.lake_root / f"reports/{DAY_ONE}.html", materialization.metadata


def test_daily_report_is_self_contained(report, events, settings):
    path, metadata = report
    page = path.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href|url)\s*[=(]\s*["']?\s*(https?:|//)""", page, re.I)
    assert "<script" not in page and "<link" not in page, "nothing to fetch, nothing to run"
    assert page.count("<svg") == 5
    day_events = [e for e in events if expected.day_of(e) == DAY_ONE]
    assert f"{len(day_events):,} public events" in page
    repos = expected.repo_activity_daily(day_events)
    most = max(counts[0] for counts in repos.values())
    assert any(name in page for (_, _, name), c in repos.items() if c[0] == most)
    logins = {e["actor"]["id"]: e["actor"]["login"] for e in day_events}
    first = [a for (_, a), v in expected.contributors_daily(day_events).items() if v[3] == 1]
    assert any(logins[a] in page for a in first), "the top contributor is named"
    assert f"{len(day_events):,} events" in metadata["preview"].value
    assert "| top repository |" in metadata["preview"].value
    # Two of the day's hours are loaded: the page says how far to trust it.
    assert "Coverage: 2 of 24 hours loaded; capture ratio 0." in page
    assert 'id="coverage-warning"' in page and "22 not loaded yet" in page
    assert "22 not loaded yet" in metadata["preview"].value
    assert metadata["hours_loaded"].value == 2 and metadata["hours_degraded"].value == 0
    # Hours not loaded are marked, unlike loaded hours that merely had no events.
    assert page.count('class="hour-not-loaded"') == 22 and "hour not loaded" in page
    assert '<a id="next-day" href="2015-01-02.html">' in page and 'href="index.html"' in page
    assert 'id="previous-day"' not in page, "no report before the first"
    index = (path.parent / "index.html").read_text(encoding="utf-8")
    assert f'<a href="{DAY_ONE}.html">{DAY_ONE}</a>' in index
    assert f"<td>{len(day_events):,}</td><td>degraded or incomplete</td>" in index
    for written in (path, path.parent / "index.html"):
        assert written.stat().st_mode & 0o777 == 0o666 & ~current_umask(), "readable like the lake"

    empty_day = build_definitions(settings).resolve_job_def("daily_report_job")
    failed = empty_day.execute_in_process(partition_key="2015-01-05", raise_on_error=False)
    assert not failed.success, "a day with no loaded events fails instead of an empty report"


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium on this machine (.ci/run installs Debian's chromium for CI)",
)
def test_daily_report_renders_its_charts_in_chromium(report, tmp_path):
    path, _ = report
    shot = tmp_path / "report.png"
    completed = subprocess.run(
        [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            # Any network request would fail: the page must not need one.
            "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
            f"--user-data-dir={tmp_path / 'profile'}", "--window-size=900,2800",
            f"--screenshot={shot}", path.as_uri(),
        ],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert completed.returncode == 0 and shot.exists(), completed.stderr[-2000:]
    image = Image.open(shot).convert("RGB")
    colours = Counter(image.getdata())
    for chart, colour in (
        ("hourly and repositories", PALETTE[0]),
        ("contributors", PALETTE[2]),
        ("bots", PALETTE[3]),
    ):
        rgb = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
        assert colours[rgb] > 1_000, f"the {chart} chart drew no bars ({colours[rgb]} pixels)"
    white = colours[(255, 255, 255)]
    assert white < 0.97 * image.width * image.height, "the page rendered blank"


# The dashboard (make dashboard) over these marts, in headless Chromium.
ARTIFACTS = Path(
    os.environ.get("TEST_ARTIFACTS_DIR", Path(__file__).parent.parent / "test-artifacts")
)


@pytest.fixture(scope="module")
def dashboard(events, settings, tmp_path_factory):
    """The dashboard over this module's warehouse, as ``make dashboard`` starts it."""
    log = tmp_path_factory.mktemp("dashboard") / "dashboard.log"
    with running_dashboard(settings.data_dir, log) as url:
        yield url


def test_the_dashboard_opens_on_the_latest_day_and_its_busiest_repository(
    dashboard, browser, events
):
    page = open_view(browser, dashboard)
    page.wait_for_function(
        "document.querySelectorAll('.vega-embed canvas, .vega-embed svg').length >= 2",
        timeout=30_000,
    )
    day_events = [e for e in events if expected.day_of(e) == TRIMMED_DAY]
    # The day's figures can render after its charts on a busy machine: wait for them.
    page.wait_for_function(
        "figure => document.body.innerText.includes(figure)",
        arg=f"{len(day_events):,}",
        timeout=30_000,
    )
    text = page.inner_text("body")
    assert f"GitHub on {TRIMMED_DAY}" in text, "it opens on the latest loaded day"
    assert f"{len(day_events):,}" in text
    repos = expected.repo_activity_daily(day_events)
    busiest = min(repos.items(), key=lambda item: (-item[1][0], item[0][2]))[0][2]
    assert f"Busiest repository: {busiest} with {repos_events(repos, busiest):,} events" in text
    link = page.get_by_role("link", name=busiest).first
    assert link.get_attribute("href") == f"https://github.com/{busiest}"
    assert "23 h" in text, "the day's 23 hours not loaded are named"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"))


def repos_events(repos: dict, name: str) -> int:
    return sum(counts[0] for (_, _, repo), counts in repos.items() if repo == name)


def test_every_view_shows_the_marts_figures(dashboard, browser, events, settings):
    days = f"?from={DAY_ONE}&to=2015-01-02"
    in_range = [e for e in events if DAY_ONE <= expected.day_of(e) <= date(2015, 1, 2)]

    page = open_view(browser, f"{dashboard}/repositories{days}")
    top = table_rows(page, "Repositories")
    marts = query(
        settings,
        "select max_by(repo_name, day), sum(events), sum(stars) from analytics.repo_activity_daily "
        "where day between ? and ? group by repo_key order by 2 desc, 1 limit 10",
        [DAY_ONE, date(2015, 1, 2)],
    )
    assert [(r[0], number(r[1]), number(r[2])) for r in top] == [tuple(m) for m in marts]

    page = open_view(browser, f"{dashboard}/people{days}")
    people = table_rows(page, "Top contributors")
    want = query(
        settings,
        "select max_by(actor_login, day), sum(contributions) from analytics.contributors_daily "
        "where day between ? and ? and not is_bot group by actor_key order by 2 desc, 1 limit 10",
        [DAY_ONE, date(2015, 1, 2)],
    )
    assert [(r[0], number(r[1])) for r in people] == [tuple(w) for w in want]
    assert MACHINE not in [r[0] for r in people], "bots apart by default"

    page = open_view(browser, f"{dashboard}/pull-requests{days}")
    opened = sum(
        e["type"] == "PullRequestEvent" and e["payload"].get("action") == "opened" for e in in_range
    )
    rows = table_rows(page, "Pull requests opened and merged per day")
    assert sum(number(r[1]) for r in rows) == opened

    page = open_view(browser, f"{dashboard}/releases{days}")
    want = query(
        settings,
        "select max_by(repo_name, day), sum(releases) from analytics.releases_daily "
        "where day between ? and ? group by repo_key order by 2 desc, 1 limit 10",
        [DAY_ONE, date(2015, 1, 2)],
    )
    assert [(r[0], number(r[1])) for r in table_rows(page, "Releases")] == [tuple(w) for w in want]
    assert want, "the generated days have releases"

    page = open_view(browser, f"{dashboard}/coverage{days}")
    coverage = {r[0]: number(r[1]) for r in table_rows(page, "Coverage")}
    assert coverage == {"2015-01-01": 2, "2015-01-02": 1}
    assert "2015-01-01 to 2015-01-02 (2 days, 45 h)" in page.inner_text("body")


def test_all_history_is_drawn_by_month_and_its_gaps_summarised(dashboard, browser, events):
    """From 2015 to 2025: months on the charts, the headline over every
    event, and one short warning (counts, the longest gaps, a link to the
    Coverage view) instead of thousands of days listed."""
    page = open_view(browser, f"{dashboard}/?from={DAY_ONE}&to={TRIMMED_DAY}")
    page.wait_for_function(
        "figure => document.body.innerText.includes(figure)",
        arg=f"{len(events):,}",
        timeout=30_000,
    )
    text = page.inner_text("body")
    assert "Events per month by type" in text
    (warning,) = [
        alert.inner_text()
        for alert in page.query_selector_all("[data-testid=stAlert]")
        if "undercount" in alert.inner_text()
    ]
    days = (TRIMMED_DAY - DAY_ONE).days + 1
    assert f"{days:,} days of {days:,} not fully loaded" in warning, warning
    assert f"longest gap: {DAY_ONE} to {TRIMMED_DAY}" in warning, warning
    assert len(warning) < 600, warning
    link = page.get_by_role("link", name="Every day in the Coverage view")
    assert link.get_attribute("href") == f"coverage?from={DAY_ONE}&to={TRIMMED_DAY}"
