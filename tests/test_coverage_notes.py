"""The dashboard's coverage warning counts and names the longest gaps; it
never lists every day of a long range."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from gharchive_assets.reporting.coverage_notes import CoverageNotes

COLUMNS = ["day", "hours_loaded", "hours_missing_at_source", "hours_degraded"]


def test_gaps_are_counted_and_the_longest_named():
    first = date(2024, 1, 1)
    rows = []
    for offset in range(366):
        day = first + timedelta(days=offset)
        if date(2024, 3, 1) <= day <= date(2024, 3, 10):  # ten days never loaded
            continue
        if day.day == 15:  # one day a month short of 2 hours
            rows.append((day, 22, 0, 0))
        elif day == date(2024, 7, 4):
            rows.append((day, 24, 3, 1))
        else:
            rows.append((day, 24, 0, 0))
    notes = CoverageNotes.of(pd.DataFrame(rows, columns=COLUMNS), first, date(2024, 12, 31))
    said = " ".join(notes.sentences())
    assert "22 days of 366 not fully loaded (264 hours)" in said
    assert "longest gaps: 2024-03-01 to 2024-03-10 (10 days, 240 h), 2024-01-15 (2 h)" in said
    assert "1 day with hours missing at the source (3 hours)" in said
    assert "1 day with degraded hours (1 hour)" in said
    assert len(said) < 400
    months = notes.monthly_marks()
    march = months[months["month"] == pd.Timestamp("2024-03-01")]
    assert list(march["why"]) == ["11 days not fully loaded"]


def test_a_fully_loaded_range_says_nothing():
    days = [date(2024, 1, 1) + timedelta(days=i) for i in range(3)]
    frame = pd.DataFrame([(day, 24, 0, 0) for day in days], columns=COLUMNS)
    notes = CoverageNotes.of(frame, days[0], days[-1])
    assert notes.sentences() == [] and notes.marks.empty and notes.monthly_marks().empty
