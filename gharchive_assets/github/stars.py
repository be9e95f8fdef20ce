"""A day's run of the star-history asset: which repositories, what GitHub
says of each, and the rows the warehouse gets.

The repositories are the day's top ``repositories`` by archive stars and as
many by events (``top_repositories``). Each repository's answer is kept in the
lake as soon as it arrives (``star_history_state_path``): a run that is
killed, or stopped by a rate limit, resumes where it was, and a repository
asked within ``refresh_hours`` is not asked again (the next day's run of a
backfill reuses it). Asked again later, GitHub answers unchanged pages with
304 (their ETags are kept), which costs no rate limit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq

from gharchive_assets.github.star_history import (
    NotStarHistory,
    Page,
    StarHistoryClient,
    daily_stars,
    earliest_day,
    pages_from_json,
    pages_to_json,
    reaches,
)
from gharchive_assets.lake.paths import star_history_rows_path, star_history_state_path

ROWS_SCHEMA = pa.schema(
    [
        ("repo_id", pa.int64()),
        ("repo_name", pa.string()),
        ("day", pa.date32()),
        ("stars", pa.int64()),
        ("fetched_at", pa.timestamp("us", tz="UTC")),
    ]
)


def top_repositories_sql(events_table: str) -> str:
    """A day's top repositories by WatchEvents and by events (``?``: the day's
    start, its end, how many of each), with their latest name; the same SQL on
    DuckDB and BigQuery."""
    return f"""
        with per_repo as (
            select
                repo_id,
                max_by(repo_name, created_at) as repo_name,
                count(case when type = 'WatchEvent' then 1 end) as stars,
                count(*) as events
            from {events_table}
            where created_at >= ? and created_at < ? and repo_id is not null
            group by repo_id
        ),
        ranked as (
            select
                repo_id,
                repo_name,
                row_number() over (order by stars desc, repo_id) as star_rank,
                row_number() over (order by events desc, repo_id) as event_rank
            from per_repo
        )
        select repo_id, repo_name
        from ranked
        where star_rank <= ? or event_rank <= ?
        order by least(star_rank, event_rank), repo_id
    """


@dataclass
class RepoState:
    """What the lake keeps of one repository (see ``star_history_state_path``)."""

    repo_id: int
    repo_name: str
    status: str
    fetched_at: datetime
    pages: list[Page] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "repo_id": self.repo_id,
            "repo_name": self.repo_name,
            "status": self.status,
            "fetched_at": self.fetched_at.isoformat(),
            "pages": pages_to_json(self.pages),
        }

    @classmethod
    def from_json(cls, data: dict) -> RepoState:
        """The state as kept, every page checked as an answer is (NotStarHistory,
        KeyError, TypeError or ValueError when it is not what this module wrote)."""
        state = cls(
            int(data["repo_id"]),
            data["repo_name"],
            data["status"],
            datetime.fromisoformat(data["fetched_at"]),
            list(pages_from_json(data.get("pages") or [])),
        )
        if state.status not in ("ok", "gone", "blocked") or not isinstance(state.repo_name, str):
            raise ValueError(f"status {state.status!r} of {state.repo_name!r}")
        if state.fetched_at.tzinfo is None:
            raise ValueError(f"fetched_at {data['fetched_at']!r} has no offset")
        return state


@dataclass
class DayResult:
    repositories: int = 0
    requests: int = 0
    not_modified: int = 0
    reused: int = 0
    gone: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    rows: int = 0

    def metadata(self) -> dict:
        return {
            "repositories": self.repositories,
            "requests": self.requests,
            "answered_not_modified": self.not_modified,
            "reused_without_asking": self.reused,
            "gone_404": self.gone,
            "blocked_451": self.blocked,
            "rows_loaded": self.rows,
        }


class StarHistoryFetcher:
    def __init__(
        self,
        lake,
        warehouse,
        client: StarHistoryClient,
        refresh_hours: float = 20.0,
        log: Callable[[str], None] = print,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self.lake, self.warehouse, self.client = lake, warehouse, client
        self.refresh = timedelta(hours=refresh_hours)
        self._log = log
        self._now = now

    def top_repositories(self, day: date, repositories: int) -> list[tuple[int, str]]:
        start = datetime(day.year, day.month, day.day)
        rows = self.warehouse.query(
            top_repositories_sql(self.warehouse.events_without_payload_table),
            [start, start + timedelta(days=1), repositories, repositories],
        )
        return [(int(repo_id), name) for repo_id, name in rows if name]

    def fetch_day(self, day: date, repositories: int) -> DayResult:
        """Ask GitHub for the history of ``day``'s top repositories, back to
        ``day``, and swap their rows in the warehouse."""
        result = DayResult()
        states = []
        for repo_id, repo_name in self.top_repositories(day, repositories):
            state = self._state_of(repo_id, repo_name, day, result)
            states.append(state)
            if state.status == "gone":
                result.gone.append(repo_name)
            elif state.status == "blocked":
                result.blocked.append(repo_name)
        result.repositories = len(states)
        result.rows = self._load(day, states)
        return result

    def _kept(self, path: str) -> RepoState | None:
        """What the lake keeps of a repository; a kept answer that no longer reads
        (damaged, or from a server that answered nonsense) is asked again."""
        try:
            kept = self.lake.read_json(path)
            return RepoState.from_json(kept) if kept else None
        except (NotStarHistory, KeyError, TypeError, ValueError, AttributeError) as error:
            self._log(f"{path}: the kept answer does not read ({error}); asking GitHub again")
            return None

    def _state_of(self, repo_id: int, repo_name: str, day: date, result: DayResult) -> RepoState:
        path = star_history_state_path(repo_id)
        known = self._kept(path)
        if (
            known is not None
            and known.repo_name == repo_name
            and self._now() - known.fetched_at < self.refresh
            and (known.status != "ok" or reaches(known.pages, day))
        ):
            result.reused += 1
            return known
        # As far back as before, so a newer day's run keeps the older days (the
        # pages it asks again mostly answer 304, which costs no rate limit).
        back_to = min(day, earliest_day(known.pages) or day) if known else day
        answer = self.client.history(repo_name, back_to, known.pages if known else None)
        result.requests += answer.requests
        result.not_modified += answer.not_modified
        if answer.status != "ok":
            self._log(
                f"{repo_name} (id {repo_id}): GitHub says it is {answer.status} "
                f"({'404' if answer.status == 'gone' else '451'}); its star history is left out"
            )
        state = RepoState(repo_id, repo_name, answer.status, self._now(), answer.pages)
        self.lake.write_json(path, state.to_json())
        return state

    def _load(self, day: date, states: list[RepoState]) -> int:
        today = self._now().date()
        columns: dict[str, list] = {name: [] for name in ROWS_SCHEMA.names}
        for state in states:
            for star_day, stars in sorted(daily_stars(state.pages, today).items()):
                columns["repo_id"].append(state.repo_id)
                columns["repo_name"].append(state.repo_name)
                columns["day"].append(star_day)
                columns["stars"].append(stars)
                columns["fetched_at"].append(state.fetched_at)
        path = star_history_rows_path(day.isoformat())
        with self.lake.staging_dir() as staging:
            local = staging / "stars.parquet"
            pq.write_table(pa.table(columns, schema=ROWS_SCHEMA), local)
            self.lake.publish(local, path)
        return self.warehouse.replace_star_history(
            [state.repo_id for state in states], self.lake.uri(path)
        )
