"""The dashboard: a Streamlit app over the dbt marts (``make dashboard``).

Run by ``python -m gharchive_assets.dashboard`` (which starts Streamlit on
127.0.0.1:$DASHBOARD_PORT). It reads the warehouse of the target the
environment chooses, exactly as the pipeline does, and only its marts.
The sidebar's filters are shared by every view; the URL carries the range
(``?from=YYYY-MM-DD&to=YYYY-MM-DD``), so a view can be linked to. Ranges go
up to all loaded history: the reader answers whole months from the rollups,
and charts over more than two months draw months.
"""

from __future__ import annotations

from datetime import date, timedelta

import altair as alt
import pandas as pd
import streamlit as st

from gharchive_assets.core.settings import load_settings
from gharchive_assets.reporting.coverage_notes import CoverageNotes
from gharchive_assets.reporting.daily_report import DayCoverage
from gharchive_assets.reporting.marts import Filters, MartsReader
from gharchive_assets.reporting.ranges import charted_by_month, month_start, next_month
from gharchive_assets.warehouse.target import warehouse_for

GITHUB = "https://github.com"
# Figures are read again after this long: a run may have loaded more hours.
FRESH_SECONDS = 60
DEGRADED_COLOR = "#c23b52"
ESTIMATE_COLOR = "#4c78a8"


@st.cache_resource
def marts() -> MartsReader:
    settings = load_settings()
    return MartsReader(warehouse_for(settings), settings.warehouse_kind)


@st.cache_data(ttl=FRESH_SECONDS, show_spinner=False)
def read(method: str, filters: Filters, *arguments) -> pd.DataFrame | dict | list:
    """A method of :class:`MartsReader`, cached per filters for a minute."""
    return getattr(marts(), method)(filters, *arguments)


@st.cache_data(ttl=FRESH_SECONDS, show_spinner=False)
def loaded_days() -> tuple[date | None, date | None]:
    return marts().loaded_days()


@st.cache_data(ttl=FRESH_SECONDS, show_spinner=False)
def event_types() -> list[str]:
    return marts().event_types()


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def preset_ranges(first_loaded: date, last_loaded: date) -> dict[str, tuple[date, date]]:
    """One click to the latest day, month, twelve months, or all history."""
    return {
        "Latest day": (last_loaded, last_loaded),
        "Latest month": (max(first_loaded, month_start(last_loaded)), last_loaded),
        "Latest 12 months": (max(first_loaded, last_loaded - timedelta(days=364)), last_loaded),
        "All history": (first_loaded, last_loaded),
    }


def sidebar_filters(first_loaded: date, last_loaded: date) -> tuple[Filters, int]:
    """The filters every view shares; the range opens on the latest loaded day."""
    params = st.query_params
    st.sidebar.header("Filters")
    presets = st.sidebar.columns(2)
    for index, (label, (first, last)) in enumerate(
        preset_ranges(first_loaded, last_loaded).items()
    ):
        if presets[index % 2].button(label, width="stretch"):
            st.query_params.update({"from": first.isoformat(), "to": last.isoformat()})
    start = _day(params.get("from")) or last_loaded
    end = _day(params.get("to")) or start
    start = min(max(start, first_loaded), last_loaded)
    end = min(max(end, start), last_loaded)
    chosen = st.sidebar.date_input(
        "Days (UTC)", (start, end), min_value=first_loaded, max_value=last_loaded
    )
    first, last = (chosen[0], chosen[-1]) if isinstance(chosen, tuple) else (chosen, chosen)
    st.query_params.update({"from": first.isoformat(), "to": last.isoformat()})
    types = st.sidebar.multiselect("Event types (none: all)", event_types())
    with_bots = st.sidebar.toggle("Include bots", value=False)
    repo_search = st.sidebar.text_input("Repository contains", help="Matched literally, any case.")
    org_search = st.sidebar.text_input("Organisation contains", help="Matched literally, any case.")
    limit = st.sidebar.slider("Rows in top lists", 5, 100, 10, step=5)
    st.sidebar.caption(
        f"Loaded days: {first_loaded} to {last_loaded}. Bots: by name or by behaviour "
        "(actor_behaviour_daily)."
    )
    filters = Filters(first, last, tuple(types), with_bots, repo_search, org_search)
    return filters, limit


def range_label(filters: Filters) -> str:
    if filters.first == filters.last:
        return filters.first.isoformat()
    return f"{filters.first} to {filters.last}"


def link_table(frame: pd.DataFrame, links: dict[str, str]) -> None:
    """A table as Markdown, so names are links to GitHub and the figures are
    text in the page (search, copy, read by a screen reader)."""
    if frame.empty:
        st.caption("Nothing in this range.")
        return
    header = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "|".join("---:" if _numeric(frame[c]) else "---" for c in frame.columns) + "|"
    lines = [header, rule]
    for row in frame.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, row, strict=True):
            text = _cell(value)
            if column in links and value:
                text = f"[{text}]({links[column]}/{value})"
            cells.append(text)
        lines.append("| " + " | ".join(cells) + " |")
    st.markdown("\n".join(lines))


def _numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _cell(value) -> str:
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return ""
    if pd.api.types.is_bool(value):
        return "yes" if value else ""
    if pd.api.types.is_integer(value):
        return f"{value:,}"
    if pd.api.types.is_float(value):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    return str(value).replace("|", "\\|")


def coverage_notes(filters: Filters) -> CoverageNotes:
    """What undercounts in the range: counted, the longest gaps named, and
    marks for the charts (from coverage_daily, a row a day)."""
    return CoverageNotes.of(read("coverage", filters), filters.first, filters.last)


def chart_marks(notes: CoverageNotes, frame: pd.DataFrame) -> pd.DataFrame:
    """The marks for a chart whose x is ``frame``'s first column: days, or
    months over a long range."""
    if frame.empty or frame.columns[0] != "month":
        return notes.marks[["day", "why"]]
    return notes.monthly_marks()


def hour_marks(filters: Filters) -> pd.DataFrame:
    """The hours of a single day to mark: not loaded, missing at the source
    (loaded empty) or degraded, as the daily report marks them; an hour
    loaded with no events is not marked."""
    hours = read("hour_coverage", filters)
    coverage = DayCoverage.of_hours(
        [
            (pd.Timestamp(row.archive_hour), row.is_missing, row.is_degraded)
            for row in hours.itertuples()
        ]
    )
    marks = [
        {"hour": hour, "why": state}
        for hour in range(24)
        if (state := coverage.state_of_hour(hour))
    ]
    return pd.DataFrame(marks, columns=["hour", "why"])


def marked_chart(chart: alt.Chart, marks: pd.DataFrame) -> alt.Chart:
    """``chart`` (days or months on x, as ``marks``' first column) with a red
    band on each day or month whose figures undercount."""
    if marks.empty:
        return chart
    period = marks.columns[0]
    bands = (
        alt.Chart(marks)
        .mark_rule(color=DEGRADED_COLOR, opacity=0.35, strokeWidth=10)
        .encode(x=f"{period}:T", tooltip=[f"{period}:T", "why:N"])
    )
    return alt.layer(chart, bands)


def figures_over_time(frame: pd.DataFrame) -> alt.Chart:
    """A line per column of ``frame`` over its first column (days or months)."""
    period = frame.columns[0]
    long = frame.melt(period, var_name="figure", value_name="count")
    return (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=f"{period}:T",
            y="count:Q",
            color="figure:N",
            tooltip=[f"{period}:T", "figure:N", "count:Q"],
        )
    )


def hourly_chart(frame: pd.DataFrame, marks: pd.DataFrame) -> alt.Chart:
    """Events per hour of one day by type, the hours to distrust shaded red."""
    frame = frame.assign(hour_of_day=pd.to_datetime(frame["hour"]).dt.hour)
    hours = alt.X("hour_of_day:O", title="hour (UTC)", scale=alt.Scale(domain=list(range(24))))
    bars = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=hours,
            y=alt.Y("sum(events):Q", title="events"),
            color=alt.Color("event_type:N", title="type"),
            tooltip=["hour_of_day:O", "event_type:N", "events:Q"],
        )
    )
    if marks.empty:
        return bars
    shaded = (
        alt.Chart(marks)
        .mark_rect(color=DEGRADED_COLOR, opacity=0.18)
        .encode(
            x=alt.X("hour:O", scale=alt.Scale(domain=list(range(24)))), tooltip=["hour:O", "why:N"]
        )
    )
    return alt.layer(shaded, bars)


def warn_coverage(notes: CoverageNotes, filters: Filters) -> None:
    """One warning: how many days undercount and why, the longest gaps, and a
    link to the Coverage view, which lists every day."""
    sentences = notes.sentences()
    if sentences:
        every_day = f"coverage?from={filters.first}&to={filters.last}"
        st.warning(
            "These figures undercount where hours are missing, degraded or not loaded "
            "(red bands on the charts). " + " ".join(sentences) + f" [Every day in the "
            f"Coverage view]({every_day}).",
            icon="⚠️",
        )


def overview(filters: Filters, limit: int) -> None:
    headline = read("headline", filters)
    top = read("top_repositories", filters, "events", limit)
    notes = coverage_notes(filters)
    st.title(f"GitHub on {range_label(filters)}")
    left, middle, right = st.columns(3)
    left.metric("Events", f"{headline['events']:,}")
    share = headline["bot_events"] / headline["events"] if headline["events"] else 0.0
    middle.metric("Bot share", f"{share:.1%}")
    right.metric("People's events", f"{headline['human_events']:,}")
    if not top.empty:
        busiest = top.iloc[0]
        st.markdown(
            f"Busiest repository: **[{busiest['repository']}]({GITHUB}/{busiest['repository']})** "
            f"with {busiest['events']:,} events."
        )
    warn_coverage(notes, filters)
    people_only = "" if filters.with_bots else " (bots apart)"
    if filters.first == filters.last:
        st.subheader("Events per hour by type (UTC), bots included")
        st.caption("Red bands: hours not loaded, missing at the source or degraded.")
        chart = hourly_chart(read("events_by_hour", filters), hour_marks(filters))
        st.altair_chart(chart, width="stretch")
    else:
        by_type = read("events_by_type", filters)
        period = by_type.columns[0]
        st.subheader(f"Events per {period} by type" + people_only)
        chart = (
            alt.Chart(by_type)
            .mark_bar()
            .encode(
                x=alt.X(f"{period}:T", title=f"{period} (UTC)"),
                y=alt.Y("sum(events):Q", title="events"),
                color=alt.Color("event_type:N", title="type"),
                tooltip=[f"{period}:T", "event_type:N", "events:Q"],
            )
        )
        st.altair_chart(marked_chart(chart, chart_marks(notes, by_type)), width="stretch")
    st.subheader("Bot share over time")
    share_frame = read("bot_share", filters)
    period = share_frame.columns[0]
    line = (
        alt.Chart(share_frame)
        .mark_line(point=True)
        .encode(
            x=alt.X(f"{period}:T", title=f"{period} (UTC)"),
            y=alt.Y("bot_share:Q", title="share of events by bots", axis=alt.Axis(format="%")),
            tooltip=[f"{period}:T", alt.Tooltip("bot_share:Q", format=".1%"), "bot_events:Q"],
        )
    )
    st.altair_chart(marked_chart(line, chart_marks(notes, share_frame)), width="stretch")
    st.subheader("Top repositories by events")
    link_table(top.drop(columns="repo_key"), {"repository": GITHUB})


def repositories(filters: Filters, limit: int) -> None:
    st.title(f"Repositories, {range_label(filters)}")
    by = st.radio("Rank by", ["events", "stars", "forks"], horizontal=True)
    top = read("top_repositories", filters, by, limit)
    link_table(top.drop(columns="repo_key"), {"repository": GITHUB})
    st.subheader("One repository's history")
    keys = dict(zip(top["repository"], top["repo_key"], strict=True))
    if not keys:
        return
    name = st.selectbox("Repository (search with the sidebar)", list(keys))
    history = read("repository_history", filters, keys[name])
    st.markdown(f"[{name} on GitHub]({GITHUB}/{name})")
    notes = coverage_notes(filters)
    warn_coverage(notes, filters)
    chart = figures_over_time(history)
    st.altair_chart(marked_chart(chart, chart_marks(notes, history)), width="stretch")
    link_table(history, {})
    star_counts(filters, keys[name], notes)


def star_counts(filters: Filters, repo_key: str, notes: CoverageNotes) -> None:
    """GitHub's star count beside the archive's, where it was fetched."""
    stars = read("star_history", filters, repo_key)
    if stars.empty:
        st.caption(
            "Stars above are the archive's WatchEvents. GitHub's own count is fetched for "
            "each day's top repositories (asset github/star_history, needs GITHUB_TOKEN); "
            "this one has none in this range."
        )
        return
    st.subheader("Stars: GitHub's count and the archive's")
    github, archive = int(stars["github_stars"].sum()), int(stars["archive_stars"].sum())
    seen = f" ({archive / github:.0%} of them)" if github else ""
    st.markdown(
        f"**{github:,}** stars by GitHub's count over the range; the archive saw "
        f"{archive:,}{seen}. GitHub counts the stars given each day that are still there."
    )
    chart = figures_over_time(
        stars.rename(columns={"github_stars": "GitHub", "archive_stars": "archive"})
    )
    st.altair_chart(marked_chart(chart, chart_marks(notes, stars)), width="stretch")


def people(filters: Filters, limit: int) -> None:
    st.title(f"People and organisations, {range_label(filters)}")
    st.subheader("Top contributors" + ("" if filters.with_bots else " (bots apart)"))
    st.caption("Contributions: every event but stars and forks.")
    top = read("top_people", filters, limit)
    keys = dict(zip(top["login"], top["actor_key"], strict=True))
    top = top.drop(columns="actor_key")
    if not filters.with_bots:
        top = top.drop(columns="bot")
    else:
        top["bot"] = top["bot"].astype(bool)
    link_table(top, {"login": GITHUB})
    organisations = read("top_organisations", filters, limit)
    st.subheader("Top organisations")
    link_table(organisations.drop(columns="org_key"), {"organisation": GITHUB})
    st.subheader("One person's or organisation's history")
    orgs = dict(zip(organisations["organisation"], organisations["org_key"], strict=True))
    choices = [*(f"{login} (person)" for login in keys), *(f"{org} (organisation)" for org in orgs)]
    if not choices:
        return
    choice = st.selectbox("Person or organisation", choices)
    name, kind = choice.rsplit(" (", 1)
    if kind == "person)":
        history = read("person_history", filters, keys[name])
    else:
        history = read("organisation_history", filters, orgs[name])
    notes = coverage_notes(filters)
    chart = figures_over_time(history)
    st.altair_chart(marked_chart(chart, chart_marks(notes, history)), width="stretch")
    link_table(history, {})


def pull_requests(filters: Filters, limit: int) -> None:
    st.title(f"Pull requests and issues, {range_label(filters)}")
    notes = coverage_notes(filters)
    warn_coverage(notes, filters)
    prs = read("pull_requests", filters)
    period = prs.columns[0]
    st.subheader(f"Pull requests opened and merged per {period}")
    chart = figures_over_time(prs[[period, "opened", "merged"]])
    st.altair_chart(marked_chart(chart, chart_marks(notes, prs)), width="stretch")
    link_table(prs, {})
    st.subheader("Time to merge (hours)")
    st.caption(
        "Over the merges whose payload carries the times: none since GitHub trimmed "
        "payloads in October 2025."
    )
    link_table(read("time_to_merge", filters), {})
    issues = read("issues", filters)
    st.subheader(f"Issues per {issues.columns[0]}")
    link_table(issues, {})
    st.subheader("Labels")
    link_table(read("labels", filters, limit), {})


def releases(filters: Filters, limit: int) -> None:
    st.title(f"Releases and new repositories, {range_label(filters)}")
    st.subheader("Releases")
    link_table(read("releases", filters, limit), {"repository": GITHUB})
    st.subheader("New repositories")
    link_table(
        read("new_repositories", filters, limit), {"repository": GITHUB, "created_by": GITHUB}
    )


def coverage(filters: Filters, limit: int) -> None:
    st.title(f"Coverage, {range_label(filters)}")
    st.caption(
        "How far to trust the figures: hours loaded, missing at the source and degraded "
        "(capture ratio or events below half the week's median), per day. The capture "
        "ratio is distinct event ids over their span."
    )
    notes = coverage_notes(filters)
    warn_coverage(notes, filters)
    estimated_events(read("estimates", filters))
    frame = read("coverage", filters)
    if frame.empty:
        link_table(frame, {})
        return
    if not charted_by_month(filters.first, filters.last):
        chart = (
            alt.Chart(frame)
            .mark_line(point=True)
            .encode(x="day:T", y=alt.Y("capture_ratio:Q", title="capture ratio"))
        )
        st.altair_chart(marked_chart(chart, notes.marks[["day", "why"]]), width="stretch")
        link_table(frame, {})
        return
    months = read("coverage_by_month", filters)
    months["share_of_hours_loaded"] = months["hours_loaded"] / (
        24 * months["month"].map(lambda month: days_of_month_in(month, filters))
    )
    chart = (
        alt.Chart(months)
        .mark_line(point=True)
        .encode(
            x="month:T",
            y=alt.Y(
                "share_of_hours_loaded:Q", title="share of hours loaded", axis=alt.Axis(format="%")
            ),
        )
    )
    st.altair_chart(marked_chart(chart, notes.monthly_marks()), width="stretch")
    st.caption("Per month over a long range; choose a shorter range for every day.")
    link_table(months, {})


def estimated_events(frame: pd.DataFrame) -> None:
    """Observed events, and the estimate with its band where hours were
    under-captured (analytics.event_estimates_hourly); nothing when none were."""
    if frame.empty or not frame["estimated_rows"].any():
        return
    st.subheader("Events: observed, and estimated where the archive caught less")
    period = frame.columns[0]
    band = (
        alt.Chart(frame)
        .mark_area(opacity=0.25, color=ESTIMATE_COLOR)
        .encode(
            x=f"{period}:T",
            y=alt.Y("estimated_low:Q", title="events"),
            y2="estimated_high:Q",
            tooltip=[f"{period}:T", "estimated_low:Q", "estimated_high:Q"],
        )
    )
    lines = figures_over_time(frame[[period, "observed", "estimated"]])
    st.altair_chart(alt.layer(band, lines), width="stretch")
    st.caption(
        "Estimated: observed / relative capture for hours whose capture ratio is below 90 % of "
        "the reference period's (the weeks before 2025-05-23); the band is a 95 % interval. "
        "Capture is relative (one id counter for all of GitHub) and assumes every event type "
        "is lost alike: an estimate, never mixed into the observed figures."
    )


def days_of_month_in(month: date, filters: Filters) -> int:
    """The days of ``month`` (its first day) within the range."""
    after = next_month(month)
    return (min(after - timedelta(days=1), filters.last) - max(month, filters.first)).days + 1


VIEWS = [
    (overview, "Overview", "overview"),
    (repositories, "Repositories", "repositories"),
    (people, "People and organisations", "people"),
    (pull_requests, "Pull requests and issues", "pull-requests"),
    (releases, "Releases and new repositories", "releases"),
    (coverage, "Coverage", "coverage"),
]


def main() -> None:
    st.set_page_config(page_title="GH Archive", layout="wide")
    try:
        first_loaded, last_loaded = loaded_days()
    except Exception as error:  # no warehouse yet, or no marts in it
        first_loaded = last_loaded = None
        st.caption(f"The marts cannot be read: {error}")
    if last_loaded is None:
        st.title("Nothing loaded yet")
        st.write("Load some hours first: `make run START=2024-03-01-00:00 END=2024-03-01-23:00`.")
        return
    filters, limit = sidebar_filters(first_loaded, last_loaded)

    def page(view):
        return lambda: view(filters, limit)

    pages = [
        st.Page(page(view), title=title, url_path=path, default=index == 0)
        for index, (view, title, path) in enumerate(VIEWS)
    ]
    st.navigation(pages).run()


main()
