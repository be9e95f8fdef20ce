"""The whole hourly pipeline on the local target: HTTP → lake → parquet → DuckDB → dbt."""

from __future__ import annotations

from datetime import UTC

import dagster as dg
import pyarrow.parquet as pq
import pytest

from gharchive_assets.core.settings import Settings
from tests import expected
from tests.pipeline import materialize_hours, query
from tests.test_coverage import expected_coverage

FIRST, LAST = "2015-01-01-22:00", "2015-01-02-00:00"


@pytest.fixture(scope="module")
def settings(tmp_path_factory, archive_server) -> Settings:
    return Settings(base_url=archive_server.url, data_dir=tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="module")
def loaded(settings, generated_archive, tmp_path_factory):
    """The three generated hours materialised in one run, then the middle hour again."""
    instance = dg.DagsterInstance.local_temp(str(tmp_path_factory.mktemp("dagster_home")))
    result = materialize_hours(settings, instance, FIRST, LAST)
    assert result.success
    again = materialize_hours(settings, instance, "2015-01-01-23:00", "2015-01-01-23:00")
    assert again.success
    RUNS[:] = [result, again]
    return generated_archive["hours"]


RUNS: list = []


def test_lake_holds_every_hour_whole(loaded, settings, generated_archive):
    lake = settings.lake_root
    for hour, records in loaded.items():
        raw = lake / f"raw/{hour:%Y/%m/%d}/{hour:%Y-%m-%d}-{hour.hour}.json.gz"
        served = generated_archive["dir"] / raw.name
        assert raw.read_bytes() == served.read_bytes()
        clean = lake / f"clean/events/date={hour:%Y-%m-%d}/hour={hour:%H}/events.parquet"
        assert pq.read_metadata(clean).num_rows == len(records)
    assert not list((lake / ".staging").rglob("*")), "no staging file is left behind"
    assert not (lake / "quarantine").exists()


def test_events_table_matches_the_archive(loaded, settings):
    rows = query(
        settings,
        "select archive_hour, count(*), count(distinct id), min(created_at), max(created_at) "
        "from gharchive.events group by 1 order by 1",
    )
    assert len(rows) == 3, "re-materialising an hour must not duplicate its rows"
    for (archive_hour, count, distinct, first, last), (hour, records) in zip(
        rows, sorted(loaded.items()), strict=True
    ):
        assert archive_hour == hour.replace(tzinfo=None)
        assert count == distinct == len(records)
        created = sorted(r["created_at"] for r in records)
        assert first.strftime("%Y-%m-%dT%H:%M:%SZ") == created[0]
        assert last.strftime("%Y-%m-%dT%H:%M:%SZ") == created[-1]

    by_type = dict(query(settings, "select type, count(*) from gharchive.events group by 1"))
    all_records = [r for records in loaded.values() for r in records]
    assert by_type == dict(__import__("collections").Counter(r["type"] for r in all_records))
    org_rows = query(settings, "select count(*) from gharchive.events where org_login is not null")
    assert org_rows[0][0] == sum("org" in r for r in all_records) > 0


def test_a_record_keeps_its_values(loaded, settings):
    hour = sorted(loaded)[0]
    record = next(r for r in loaded[hour] if r["type"] == "PullRequestEvent")
    (row,) = query(
        settings,
        "select id, actor_id, actor_login, repo_id, repo_name, created_at, action, number, "
        "pr_additions, json_extract(payload, '$.pull_request.id') "
        "from gharchive.events where id = ? and archive_hour = ?",
        [record["id"], hour.replace(tzinfo=None)],
    )
    assert row[:5] == (
        record["id"],
        record["actor"]["id"],
        record["actor"]["login"],
        record["repo"]["id"],
        record["repo"]["name"],
    )
    assert row[5].replace(tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ") == record["created_at"]
    assert row[6:9] == (
        record["payload"]["action"],
        record["payload"]["number"],
        record["payload"]["pull_request"]["additions"],
    )
    assert int(row[9]) == record["payload"]["pull_request"]["id"]


def test_marts_match_independent_figures(loaded, settings):
    events = expected.deduplicated(loaded)
    assert len(events) < sum(len(r) for r in loaded.values()), "the archive has duplicates"

    daily = {
        (day, kind): (n, actors, repos)
        for day, kind, n, actors, repos in query(
            settings,
            "select day, event_type, events, actors, repos from analytics.daily_event_counts",
        )
    }
    assert daily == expected.daily_event_counts(events)

    repos = {
        (day, repo_id, name): tuple(rest)
        for day, repo_id, name, *rest in query(
            settings,
            "select day, repo_id, repo_name, events, stars, forks, pushes, "
            "pull_requests_opened, issues_opened from analytics.repo_activity_daily",
        )
    }
    assert repos == {k: tuple(v) for k, v in expected.repo_activity_daily(events).items()}

    actors = {
        (day, actor_id, login, kind): (is_bot, n)
        for day, actor_id, login, is_bot, kind, n in query(
            settings,
            "select day, actor_id, actor_login, is_bot, event_type, events "
            "from analytics.actor_activity_daily",
        )
    }
    assert actors == expected.actor_activity_daily(events)
    assert any(is_bot for is_bot, _ in actors.values())
    assert not any(
        is_bot for (_, _, login, _), (is_bot, _) in actors.items() if login == "botandrose"
    )

    shares = query(
        settings,
        "select day, event_type, bot_events, human_events, bot_share from analytics.bot_share_daily",
    )
    want = expected.bot_share_daily(events)
    assert {(d, k): (b, h) for d, k, b, h, _ in shares} == {k: v[:2] for k, v in want.items()}
    for day, kind, _, _, share in shares:
        assert share == pytest.approx(want[(day, kind)][2])


def test_checks_are_reported_with_each_load(loaded):
    evaluations = {e.check_name: e for e in RUNS[0].get_asset_check_evaluations()}
    duplicates = evaluations["no_duplicate_ids_within_hour"]
    assert duplicates.passed and duplicates.metadata["hours_checked"].value == 3
    band = evaluations["rows_in_plausible_band"]
    assert band.passed and band.metadata["hours_without_history"].value == 3
    coverage = evaluations["coverage_not_degraded"]
    assert coverage.passed and coverage.metadata["hours_checked"].value == 3
    assert 0 < coverage.metadata["lowest_capture_ratio"].value < 1


def test_check_verdicts():
    from gharchive_assets.defs.events import check_results
    from gharchive_assets.hours.loader import LoadFindings

    found = LoadFindings(
        rows={"2015-01-01-22:00": 1000, "2015-01-01-23:00": 10, "2015-01-02-00:00": 900},
        # A duplicate and far below the median; then too little history to judge.
        duplicates={"2015-01-01-22:00": 0, "2015-01-01-23:00": 3, "2015-01-02-00:00": 0},
        medians={"2015-01-01-22:00": 1000.0, "2015-01-01-23:00": 1000.0, "2015-01-02-00:00": None},
        captures={"2015-01-01-22:00": 0.9, "2015-01-01-23:00": 0.3, "2013-01-01-00:00": None},
        degraded={"2015-01-01-23:00": "capture ratio 0.300 against a median of 0.900"},
    )
    duplicates, band, coverage = check_results(found)
    assert not duplicates.passed
    assert duplicates.metadata["hours_with_duplicates"].value == {"2015-01-01-23:00": 3}
    assert not band.passed
    assert list(band.metadata["hours_outside_band"].value) == ["2015-01-01-23:00"]
    assert duplicates.severity == band.severity == dg.AssetCheckSeverity.WARN

    assert not coverage.passed and coverage.severity == dg.AssetCheckSeverity.WARN
    assert coverage.description == "1 of 3 hours degraded: see analytics.coverage_hourly"
    assert coverage.metadata["lowest_capture_ratio"].value == 0.3
    assert coverage.metadata["hours_without_ids"].value == 1


def test_coverage_hourly_matches_the_archive(loaded, settings):
    """The ids' figures of every hour, as the test computes them from the records."""
    rows = query(
        settings,
        "select archive_hour, events, min_event_id, max_event_id, capture_ratio, is_degraded "
        "from analytics.coverage_hourly order by archive_hour",
    )
    assert [row[0] for row in rows] == [hour.replace(tzinfo=None) for hour in sorted(loaded)]
    for (_, events, low, high, capture, degraded), hour in zip(rows, sorted(loaded), strict=True):
        figures = expected_coverage(loaded[hour], hour)
        assert (events, low, high) == (
            figures["events"], figures["min_event_id"], figures["max_event_id"]
        )  # fmt: skip
        assert capture == pytest.approx(figures["capture_ratio"])
        assert degraded is False, "too little history to call an hour degraded"
