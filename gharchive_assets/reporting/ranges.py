"""A range of days as the coarsest pieces the marts hold exactly.

The monthly rollups (dbt_project/models/marts/rollups) hold whole calendar
months; the daily marts hold days. A range of days is read as its whole
months from a rollup and the days at its edges from the daily mart, so a year
costs about twelve months' rows of the rollup instead of 365 days' of the
daily mart, and the answer is the same (dbt's rollup_matches_days test holds
the rollups to their days).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

# A chart over more days than this draws months; up to it, days.
MOST_DAYS_CHARTED_BY_DAY = 62

# Each daily mart with a monthly rollup, and that rollup.
MONTHLY_ROLLUPS = {
    "repo_activity_daily": "repo_activity_monthly",
    "contributors_daily": "contributors_monthly",
    "org_activity_daily": "org_activity_monthly",
    "bot_share_daily": "bot_share_monthly",
    "pull_requests_daily": "pull_requests_monthly",
    "issues_daily": "issues_monthly",
    "releases_daily": "releases_monthly",
    "issue_labels_daily": "issue_labels_monthly",
    "coverage_daily": "coverage_monthly",
}


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


@dataclass(frozen=True)
class Span:
    """Consecutive periods of one grain: days ``first``..``last``, or the
    months whose first days are ``first``..``last``."""

    grain: str  # "day" or "month"
    first: date
    last: date

    @property
    def periods(self) -> int:
        """How many days or months the span holds: the most rows a key has in it."""
        if self.grain == "day":
            return (self.last - self.first).days + 1
        return (self.last.year - self.first.year) * 12 + self.last.month - self.first.month + 1


def spans(first: date, last: date, monthly: bool = True) -> list[Span]:
    """``first``..``last`` (inclusive) as its whole calendar months (one span)
    between the days before the first whole month and after the last one.
    ``monthly`` False: one span of days."""
    whole_from = first if first.day == 1 else next_month(first)
    end_of_last_month = next_month(last) - timedelta(days=1)
    whole_to = last if last == end_of_last_month else month_start(last) - timedelta(days=1)
    if not monthly or whole_from > whole_to:
        return [Span("day", first, last)]
    pieces = []
    if first < whole_from:
        pieces.append(Span("day", first, whole_from - timedelta(days=1)))
    pieces.append(Span("month", whole_from, month_start(whole_to)))
    if whole_to < last:
        pieces.append(Span("day", whole_to + timedelta(days=1), last))
    return pieces


def charted_by_month(first: date, last: date) -> bool:
    """Whether a chart of ``first``..``last`` draws months rather than days."""
    return (last - first).days + 1 > MOST_DAYS_CHARTED_BY_DAY
