"""The dashboard: a Streamlit app over the dbt marts (``make dashboard``).

Run by ``python -m gharchive_assets.dashboard`` (which starts Streamlit on
127.0.0.1:$DASHBOARD_PORT). It reads the warehouse of the target the
environment chooses, exactly as the pipeline does, and only its marts.
The sidebar's filters are shared by every view; the URL carries the range
(``?from=YYYY-MM-DD&to=YYYY-MM-DD``), so a view can be linked to.
"""

from __future__ import annotations

from datetime import date

import altair as alt
import pandas as pd
import streamlit as st

from gharchive_assets.reporting.daily_report import DayCoverage
from gharchive_assets.reporting.marts import Filters, MartsReader
from gharchive_assets.resources.targets import warehouse_for
from gharchive_assets.settings import load_settings

GITHUB = "https://github.com"
# Figures are read again after this long: a run may have loaded more hours.
FRESH_SECONDS = 60
DEGRADED_COLOR = "#c23b52"


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


def sidebar_filters(first_loaded: date, last_loaded: date) -> tuple[Filters, int]:
    """The filters every view shares; the range opens on the latest loaded day."""
    params = st.query_params
    start = _day(params.get("from")) or last_loaded
    end = _day(params.get("to")) or start
    start = min(max(start, first_loaded), last_loaded)
    end = min(max(end, start), last_loaded)
    st.sidebar.header("Filters")
    chosen = st.sidebar.date_input(
        "Days (UTC)", (start, end), min_value=first_loaded, max_value=last_loaded
    )
    first, last = (chosen[0], chosen[-1]) if isinstance(chosen, tuple) else (chosen, chosen)
    st.query_params.update({"from": first.isoformat(), "to": last.isoformat()})
    types = st.sidebar.multiselect("Event types (none: all)", event_types())
    with_bots = st.sidebar.toggle("Include bots", value=False)
    repo_search = st.sidebar.text_input("Repository contains")
    org_search = st.sidebar.text_input("Organisation contains")
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


def coverage_marks(filters: Filters) -> tuple[pd.DataFrame, list[str]]:
    """Days of the range to mark on charts (degraded, missing or not fully
    loaded), and a sentence per kind for the warning above them."""
    coverage = read("coverage", filters)
    days = pd.date_range(filters.first, filters.last, freq="D").date
    known = {row.day: row for row in coverage.itertuples(index=False)}
    marks, notes = [], {"not loaded": [], "degraded": [], "missing at the source": []}
    for day in days:
        row = known.get(day)
        if row is None or row.hours_loaded < 24:
            loaded = 0 if row is None else row.hours_loaded
            notes["not loaded"].append(f"{day} ({24 - loaded} h)")
            marks.append({"day": pd.Timestamp(day), "why": f"{24 - loaded} hours not loaded"})
        if row is not None and row.hours_missing_at_source:
            notes["missing at the source"].append(f"{day} ({row.hours_missing_at_source} h)")
            marks.append({"day": pd.Timestamp(day), "why": "hours missing at the source"})
        if row is not None and row.hours_degraded:
            notes["degraded"].append(f"{day} ({row.hours_degraded} h)")
            marks.append({"day": pd.Timestamp(day), "why": "degraded hours"})
    sentences = [f"Hours {kind}: {', '.join(found)}." for kind, found in notes.items() if found]
    return pd.DataFrame(marks, columns=["day", "why"]), sentences


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
    """``chart`` (days on x) with a red band on each day whose figures undercount."""
    if marks.empty:
        return chart
    bands = (
        alt.Chart(marks)
        .mark_rule(color=DEGRADED_COLOR, opacity=0.35, strokeWidth=10)
        .encode(x="day:T", tooltip=["day:T", "why:N"])
    )
    return alt.layer(chart, bands)


def figures_over_days(frame: pd.DataFrame) -> alt.Chart:
    """A line per column of ``frame`` (but ``day``) over its days."""
    long = frame.melt("day", var_name="figure", value_name="count")
    return (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(x="day:T", y="count:Q", color="figure:N", tooltip=["day:T", "figure:N", "count:Q"])
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


def warn_coverage(sentences: list[str]) -> None:
    if sentences:
        st.warning(
            "These figures undercount where hours are missing, degraded or not loaded "
            "(red bands on the charts). " + " ".join(sentences),
            icon="⚠️",
        )


def overview(filters: Filters, limit: int) -> None:
    headline = read("headline", filters)
    top = read("top_repositories", filters, "events", limit)
    marks, sentences = coverage_marks(filters)
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
    warn_coverage(sentences)
    people_only = "" if filters.with_bots else " (bots apart)"
    if filters.first == filters.last:
        st.subheader("Events per hour by type (UTC), bots included")
        st.caption("Red bands: hours not loaded, missing at the source or degraded.")
        chart = hourly_chart(read("events_by_hour", filters), hour_marks(filters))
        st.altair_chart(chart, width="stretch")
    else:
        st.subheader("Events per day by type" + people_only)
        chart = (
            alt.Chart(read("events_by_type", filters))
            .mark_bar()
            .encode(
                x=alt.X("day:T", title="day (UTC)"),
                y=alt.Y("sum(events):Q", title="events"),
                color=alt.Color("event_type:N", title="type"),
                tooltip=["day:T", "event_type:N", "events:Q"],
            )
        )
        st.altair_chart(marked_chart(chart, marks), width="stretch")
    st.subheader("Bot share over time")
    share_frame = read("bot_share", filters)
    line = (
        alt.Chart(share_frame)
        .mark_line(point=True)
        .encode(
            x=alt.X("day:T", title="day (UTC)"),
            y=alt.Y("bot_share:Q", title="share of events by bots", axis=alt.Axis(format="%")),
            tooltip=["day:T", alt.Tooltip("bot_share:Q", format=".1%"), "bot_events:Q"],
        )
    )
    st.altair_chart(marked_chart(line, marks), width="stretch")
    st.subheader("Top repositories by events")
    link_table(top, {"repository": GITHUB})


def repositories(filters: Filters, limit: int) -> None:
    st.title(f"Repositories, {range_label(filters)}")
    by = st.radio("Rank by", ["events", "stars", "forks"], horizontal=True)
    top = read("top_repositories", filters, by, limit)
    link_table(top, {"repository": GITHUB})
    st.subheader("One repository's history")
    choices = list(top["repository"])
    if not choices:
        return
    name = st.selectbox("Repository (search with the sidebar)", choices)
    history = read("repository_history", filters, name)
    st.markdown(f"[{name} on GitHub]({GITHUB}/{name})")
    marks, sentences = coverage_marks(filters)
    warn_coverage(sentences)
    st.altair_chart(marked_chart(figures_over_days(history), marks), width="stretch")
    link_table(history, {})


def people(filters: Filters, limit: int) -> None:
    st.title(f"People and organisations, {range_label(filters)}")
    st.subheader("Top contributors" + ("" if filters.with_bots else " (bots apart)"))
    st.caption("Contributions: every event but stars and forks.")
    top = read("top_people", filters, limit)
    if not filters.with_bots:
        top = top.drop(columns="bot")
    else:
        top["bot"] = top["bot"].astype(bool)
    link_table(top, {"login": GITHUB})
    st.subheader("Top organisations")
    link_table(read("top_organisations", filters, limit), {"organisation": GITHUB})


def pull_requests(filters: Filters, limit: int) -> None:
    st.title(f"Pull requests and issues, {range_label(filters)}")
    marks, sentences = coverage_marks(filters)
    warn_coverage(sentences)
    prs = read("pull_requests", filters)
    st.subheader("Pull requests opened and merged per day")
    chart = figures_over_days(prs[["day", "opened", "merged"]])
    st.altair_chart(marked_chart(chart, marks), width="stretch")
    link_table(prs, {})
    st.subheader("Time to merge (hours)")
    st.caption(
        "Over the merges whose payload carries the times: none since GitHub trimmed "
        "payloads in October 2025."
    )
    link_table(read("time_to_merge", filters), {})
    st.subheader("Issues per day")
    link_table(read("issues", filters), {})
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
    marks, sentences = coverage_marks(filters)
    warn_coverage(sentences)
    frame = read("coverage", filters)
    if not frame.empty:
        chart = (
            alt.Chart(frame)
            .mark_line(point=True)
            .encode(x="day:T", y=alt.Y("capture_ratio:Q", title="capture ratio"))
        )
        st.altair_chart(marked_chart(chart, marks), width="stretch")
    link_table(frame, {})


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
