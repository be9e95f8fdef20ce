"""What the dashboard says about the hours behind a range's figures.

A range of years can hold thousands of days that are not fully loaded,
degraded or missing hours at the source. Listing them buries the charts, so
the warning counts them, names the longest gaps, and links to the Coverage
view, which has every day. The charts mark days (or months, over a long range)
whose figures undercount.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

HOURS_A_DAY = 24
GAPS_NAMED = 3


@dataclass(frozen=True)
class Gap:
    """Consecutive days not fully loaded, and the hours they lack."""

    first: date
    last: date
    hours_not_loaded: int

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def __str__(self) -> str:
        when = str(self.first) if self.first == self.last else f"{self.first} to {self.last}"
        size = f"{self.hours_not_loaded:,} h"
        if self.days > 1:
            size = f"{_days(self.days)}, {size}"
        return f"{when} ({size})"


@dataclass(frozen=True)
class CoverageNotes:
    """The range's days that undercount, from coverage_daily's rows (``day``,
    ``hours_loaded``, ``hours_missing_at_source``, ``hours_degraded``): a day
    without a row has no hour loaded."""

    days: int
    days_not_fully_loaded: int
    hours_not_loaded: int
    days_missing_at_source: int
    hours_missing_at_source: int
    days_degraded: int
    hours_degraded: int
    gaps: tuple[Gap, ...]
    marks: pd.DataFrame  # day, kind, why: one row per day and kind of shortfall

    @classmethod
    def of(cls, coverage: pd.DataFrame, first: date, last: date) -> CoverageNotes:
        known = {row.day: row for row in coverage.itertuples(index=False)}
        gaps, marks, run = [], [], None
        not_loaded = missing = degraded = 0
        hours_not_loaded = hours_missing = hours_degraded = 0
        day = first
        while day <= last:
            row = known.get(day)
            lacking = HOURS_A_DAY - (row.hours_loaded if row is not None else 0)
            if lacking > 0:
                not_loaded += 1
                hours_not_loaded += lacking
                marks.append((day, "not fully loaded", f"{_hours(lacking)} not loaded"))
                run = (run[0], day, run[2] + lacking) if run else (day, day, lacking)
            elif run:
                gaps.append(Gap(*run))
                run = None
            if row is not None and row.hours_missing_at_source:
                missing += 1
                hours_missing += row.hours_missing_at_source
                marks.append((day, "missing at the source", "hours missing at the source"))
            if row is not None and row.hours_degraded:
                degraded += 1
                hours_degraded += row.hours_degraded
                marks.append((day, "degraded", "degraded hours"))
            day += timedelta(days=1)
        if run:
            gaps.append(Gap(*run))
        longest = sorted(gaps, key=lambda gap: (-gap.days, -gap.hours_not_loaded, gap.first))
        return cls(
            days=(last - first).days + 1,
            days_not_fully_loaded=not_loaded,
            hours_not_loaded=hours_not_loaded,
            days_missing_at_source=missing,
            hours_missing_at_source=hours_missing,
            days_degraded=degraded,
            hours_degraded=hours_degraded,
            gaps=tuple(longest[:GAPS_NAMED]),
            marks=pd.DataFrame(
                [(pd.Timestamp(day), kind, why) for day, kind, why in marks],
                columns=["day", "kind", "why"],
            ),
        )

    def sentences(self) -> list[str]:
        """A sentence per kind of shortfall, counted; the longest gaps named."""
        said = []
        if self.days_not_fully_loaded:
            gaps = ", ".join(str(gap) for gap in self.gaps)
            longest = "longest gap" if len(self.gaps) == 1 else "longest gaps"
            said.append(
                f"{_days(self.days_not_fully_loaded)} of {self.days:,} not fully loaded "
                f"({_hours(self.hours_not_loaded)}); {longest}: {gaps}."
            )
        if self.days_missing_at_source:
            said.append(
                f"{_days(self.days_missing_at_source)} with hours missing at the source "
                f"({_hours(self.hours_missing_at_source)})."
            )
        if self.days_degraded:
            said.append(
                f"{_days(self.days_degraded)} with degraded hours ({_hours(self.hours_degraded)})."
            )
        return said

    def monthly_marks(self) -> pd.DataFrame:
        """The marks by month (its first day), a row per kind with its days."""
        if self.marks.empty:
            return pd.DataFrame(columns=["month", "why"])
        by_month = self.marks.assign(month=self.marks["day"].dt.to_period("M").dt.to_timestamp())
        counted = by_month.groupby(["month", "kind"]).size().reset_index(name="days")
        counted["why"] = counted["days"].map(_days) + " " + counted["kind"]
        return counted[["month", "why"]]


def _days(count: int) -> str:
    return f"{count:,} day" if count == 1 else f"{count:,} days"


def _hours(count: int) -> str:
    return f"{count:,} hour" if count == 1 else f"{count:,} hours"
