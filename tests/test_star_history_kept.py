"""What the lake kept of GitHub's answers is read as carefully as an answer:
a kept answer that does not read is asked again, never fatal (fast: no server)."""

from datetime import UTC, date, datetime

import pytest

from gharchive_assets.github.star_history import Answer, Page
from gharchive_assets.github.stars import DayResult, RepoState, StarHistoryFetcher
from gharchive_assets.lake.paths import star_history_state_path
from gharchive_assets.lake.resource import LocalLakeResource

DAY = date(2026, 12, 1)
NOW = datetime(2026, 12, 2, 6, tzinfo=UTC)
SUNDAY = 1_764_460_800  # 2025-11-30 00:00 UTC
GOOD_PAGE = {"url": "u", "etag": '"e"', "weeks": [{"week": SUNDAY, "total": 1, "days": [1] + [0] * 6}], "next": None}  # fmt: skip


class Asked:
    """The client's one method, recording what it is asked."""

    def __init__(self):
        self.repositories: list[str] = []

    def history(self, repo_name, back_to, known=None) -> Answer:
        self.repositories.append(repo_name)
        return Answer("ok", [Page.from_json(GOOD_PAGE)], requests=1)


@pytest.fixture
def fetcher(tmp_path):
    lake = LocalLakeResource(root=str(tmp_path / "lake"))
    lines: list[str] = []
    fetcher = StarHistoryFetcher(lake, None, Asked(), log=lines.append, now=lambda: NOW)
    return fetcher, lake, lines


def kept_state(**changes) -> dict:
    state = RepoState(1, "octo/a", "ok", NOW, [Page.from_json(GOOD_PAGE)]).to_json()
    return {**state, **changes}


@pytest.mark.parametrize(
    "kept",
    [
        kept_state(pages=[{**GOOD_PAGE, "weeks": [{"week": "soon", "days": [1] * 7}]}]),
        kept_state(pages=[{**GOOD_PAGE, "weeks": [{"week": SUNDAY, "days": [-4] * 7}]}]),
        kept_state(fetched_at="yesterday"),
        kept_state(status="fine"),
        {"repo_id": "x"},
        ["not", "a", "state"],
    ],
    ids=["week-text", "negative", "bad-time", "bad-status", "bad-id", "a-list"],
)
def test_a_kept_answer_that_does_not_read_is_asked_again(fetcher, kept):
    fetcher, lake, lines = fetcher
    lake.write_json(star_history_state_path(1), kept)
    state = fetcher._state_of(1, "octo/a", DAY, DayResult())
    assert fetcher.client.repositories == ["octo/a"]
    assert state.status == "ok" and state.pages[0].weeks == GOOD_PAGE["weeks"]
    assert any("the kept answer does not read" in line for line in lines)
    # What replaced it reads, and is reused without asking.
    assert RepoState.from_json(lake.read_json(star_history_state_path(1))).status == "ok"


def test_a_kept_file_that_is_not_json_is_asked_again(fetcher, tmp_path):
    fetcher, _, lines = fetcher
    path = tmp_path / "lake" / star_history_state_path(1)
    path.parent.mkdir(parents=True)
    path.write_text('{"repo_id": 1, "pages": [')  # cut short
    assert fetcher._kept(star_history_state_path(1)) is None
    assert "asking GitHub again" in lines[-1]
