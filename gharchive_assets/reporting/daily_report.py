"""A day of GitHub in one self-contained HTML page, and its Markdown preview.

Pure functions from the marts' rows to text: no I/O, so tests and the asset
render the same thing. Charts are static inline SVG: the page needs no script,
no stylesheet and no network to open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from html import escape

PALETTE = ("#2f6fdf", "#e8742f", "#2aa876", "#c23b52", "#8a5cd6", "#d4a72c", "#7f8c8d")
# Behind an hour's bar: why its figure is not to be trusted.
HOUR_STATES = {"not loaded": "#e3e7ec", "missing at the source": "#f6d0d6", "degraded": "#fde3c4"}
OTHER_TYPES = "other"
STACKED_TYPES = len(PALETTE) - 1
CHART_WIDTH = 760
# Horizontal bar charts: one row per name, names right-aligned left of the bars.
ROW_HEIGHT, LABEL_WIDTH = 24, 260


@dataclass(frozen=True)
class DayCoverage:
    """How far to trust the day's figures (analytics.coverage_daily and _hourly)."""

    hours_loaded: int
    capture_ratio: float | None
    degraded_hours: list[datetime]  # loaded, but far below their trailing median
    missing_hours: list[datetime]  # lost by every source: loaded empty
    loaded_hours: tuple[int, ...] | None = None  # hours of the day loaded (None: unknown)

    @classmethod
    def of_hours(cls, hours: list[tuple], capture_ratio: float | None = None) -> DayCoverage:
        """From the day's rows of coverage_hourly: (archive_hour, is_missing, is_degraded)."""
        return cls(
            hours_loaded=len(hours),
            capture_ratio=capture_ratio,
            degraded_hours=[hour for hour, missing, degraded in hours if degraded and not missing],
            missing_hours=[hour for hour, missing, _ in hours if missing],
            loaded_hours=tuple(hour.hour for hour, _, _ in hours),
        )

    def state_of_hour(self, hour: int) -> str | None:
        """What the chart marks an hour with: not loaded, missing at the
        source or degraded; None for an hour loaded whole (events or none)."""
        if self.loaded_hours is not None and hour not in self.loaded_hours:
            return "not loaded"
        if any(moment.hour == hour for moment in self.missing_hours):
            return "missing at the source"
        if any(moment.hour == hour for moment in self.degraded_hours):
            return "degraded"
        return None

    @property
    def hours_not_loaded(self) -> int:
        return 24 - self.hours_loaded

    def warning(self) -> str | None:
        """One sentence on what undercounts the day, or None."""
        parts = []
        if self.missing_hours:
            parts.append(
                f"{len(self.missing_hours)} missing at the source ({_hours(self.missing_hours)})"
            )
        if self.degraded_hours:
            parts.append(f"{len(self.degraded_hours)} degraded ({_hours(self.degraded_hours)})")
        if self.hours_not_loaded:
            parts.append(f"{self.hours_not_loaded} not loaded yet")
        if not parts:
            return None
        return (
            f"Of the day's 24 hours, {' and '.join(parts)}: the figures below undercount "
            "the day. A degraded hour holds far fewer events, or a far smaller share of "
            "GitHub's event ids, than the week before it (analytics.coverage_hourly)."
        )


def _hours(moments: list[datetime]) -> str:
    return ", ".join(f"{m:%H}:00" for m in sorted(moments))


@dataclass(frozen=True)
class DayFigures:
    """What the report shows for one UTC day, as read from the marts."""

    day: date
    hourly: list[tuple[datetime, str, int]]  # hour, event_type, events
    top_repos: list[tuple[str, int, int, int, int]]  # name, events, stars, forks, pushes
    top_people: list[tuple[str, int, int, int, int]]  # login, contributions, pushes, PRs, issues
    top_bots: list[tuple[str, int]]  # login, contributions
    bot_share: list[tuple[str, int, int]]  # event_type, bot_events, human_events
    coverage: DayCoverage | None = None
    previous_day: date | None = None  # the report to link back to
    next_day: date | None = None

    @property
    def events(self) -> int:
        return sum(events for _, _, events in self.hourly)

    @property
    def bot_events(self) -> int:
        return sum(bots for _, bots, _ in self.bot_share)


def _stacked_types(figures: DayFigures) -> list[str]:
    totals: dict[str, int] = {}
    for _, event_type, events in figures.hourly:
        totals[event_type] = totals.get(event_type, 0) + events
    ranked = sorted(totals, key=lambda t: (-totals[t], t))
    return ranked[:STACKED_TYPES] + ([OTHER_TYPES] if len(ranked) > STACKED_TYPES else [])


def hourly_chart(figures: DayFigures) -> str:
    """Events per hour of the day, stacked by event type (the busiest six, then other)."""
    types = _stacked_types(figures)
    per_hour: dict[int, dict[str, int]] = {hour: {} for hour in range(24)}
    for moment, event_type, events in figures.hourly:
        key = event_type if event_type in types else OTHER_TYPES
        per_hour[moment.hour][key] = per_hour[moment.hour].get(key, 0) + events
    peak = max((sum(hour.values()) for hour in per_hour.values()), default=0) or 1
    width, height, left, bottom, bar = CHART_WIDTH, 260, 56, 24, 26
    parts = [
        _svg_open("chart-hourly", height + 70, "Events per hour, by type"),
        f'<line x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" '
        'stroke="#999"/>',
        f'<text x="{left - 6}" y="16" text-anchor="end" class="axis">{peak:,}</text>',
        f'<text x="{left - 6}" y="{height - bottom}" text-anchor="end" class="axis">0</text>',
    ]
    scale = (height - bottom - 10) / peak
    states = {
        hour: state
        for hour in range(24)
        if figures.coverage and (state := figures.coverage.state_of_hour(hour))
    }
    for hour, state in states.items():
        x = left + 4 + hour * (bar + 2)
        parts.append(
            f'<rect class="hour-{state.replace(" ", "-")}" x="{x - 1}" y="10" width="{bar + 2}" '
            f'height="{height - bottom - 10}" fill="{HOUR_STATES[state]}">'
            f"<title>{hour:02d}:00 {state}</title></rect>"
        )
    for hour in range(24):
        x = left + 4 + hour * (bar + 2)
        y = height - bottom
        for index, event_type in enumerate(types):
            events = per_hour[hour].get(event_type, 0)
            if not events:
                continue
            size = events * scale
            y -= size
            parts.append(
                f'<rect x="{x}" y="{y:.1f}" width="{bar}" height="{size:.1f}" '
                f'fill="{PALETTE[index]}"><title>{hour:02d}:00 {escape(event_type)}: '
                f"{events:,}</title></rect>"
            )
        if hour % 3 == 0:
            parts.append(
                f'<text x="{x + bar / 2}" y="{height - 8}" text-anchor="middle" '
                f'class="axis">{hour:02d}</text>'
            )
    legend = [(event_type, PALETTE[index]) for index, event_type in enumerate(types)]
    legend += [(f"hour {state}", HOUR_STATES[state]) for state in dict.fromkeys(states.values())]
    for index, (label, color) in enumerate(legend):
        x, y = left + (index % 4) * 175, height + 14 + (index // 4) * 22
        parts.append(
            f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{color}"/>'
            f'<text x="{x + 18}" y="{y}" class="legend">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(chart_id: str, label: str, rows: list[tuple[str, int]], color: str) -> str:
    """Horizontal bars, one per row (name, value), longest first."""
    if not rows:
        return f'<p class="empty" id="{chart_id}">No {escape(label)} that day.</p>'
    left, peak = LABEL_WIDTH, max(value for _, value in rows) or 1
    parts = [_svg_open(chart_id, ROW_HEIGHT * len(rows) + 8, label)]
    for index, (name, value) in enumerate(rows):
        y = 4 + index * ROW_HEIGHT
        size = max(1.0, value / peak * (CHART_WIDTH - left - 70))
        parts.append(
            _row_label(y, _shorten(name))
            + f'<rect x="{left}" y="{y + 3}" width="{size:.1f}" height="{ROW_HEIGHT - 6}" '
            f'fill="{color}"><title>{escape(name)}: {value:,}</title></rect>'
            f'<text x="{left + size + 6:.1f}" y="{y + 16}" class="value">{value:,}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def bot_share_chart(figures: DayFigures) -> str:
    """Per event type, the bots' part (dark) and everyone else's (light) of its events."""
    rows = [row for row in figures.bot_share if row[1] + row[2]][:10]
    if not rows:
        return '<p class="empty" id="chart-bots">No events that day.</p>'
    left, length = LABEL_WIDTH, CHART_WIDTH - LABEL_WIDTH - 120
    parts = [_svg_open("chart-bots", ROW_HEIGHT * len(rows) + 8, "Bot share by event type")]
    for index, (event_type, bots, humans) in enumerate(rows):
        y = 4 + index * ROW_HEIGHT
        share = bots / (bots + humans)
        parts.append(
            _row_label(y, event_type)
            + f'<rect x="{left}" y="{y + 3}" width="{length}" height="{ROW_HEIGHT - 6}" '
            f'fill="#cfd8e3"><title>{escape(event_type)}: {humans:,} by people</title></rect>'
            f'<rect x="{left}" y="{y + 3}" width="{share * length:.1f}" '
            f'height="{ROW_HEIGHT - 6}" fill="{PALETTE[3]}"><title>{escape(event_type)}: '
            f"{bots:,} by bots</title></rect>"
            f'<text x="{left + length + 6}" y="{y + 16}" class="value">{share:.1%}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _svg_open(chart_id: str, height: int, label: str) -> str:
    return (
        f'<svg class="chart" id="{chart_id}" width="{CHART_WIDTH}" height="{height}" '
        f'viewBox="0 0 {CHART_WIDTH} {height}" role="img" aria-label="{escape(label)}">'
    )


def _row_label(y: float, text: str) -> str:
    return (
        f'<text x="{LABEL_WIDTH - 8}" y="{y + 16}" text-anchor="end" class="name">'
        f"{escape(text)}</text>"
    )


def _shorten(name: str, limit: int = 36) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def _table(headers: list[str], rows: list[tuple]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td>{value:,}</td>" if isinstance(value, int) else f"<td>{escape(str(value))}</td>"
            for value in row
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; color: #1d2430; margin: 2rem auto;
       max-width: 800px; padding: 0 1rem; background: #fff; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
.lede { color: #55606e; } .axis, .legend, .name, .value { font-size: 12px; fill: #333; }
table { border-collapse: collapse; width: 100%; margin-top: .6rem; font-size: 13px; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #e3e7ec; }
td:not(:first-child), th:not(:first-child) { text-align: right; }
.empty { color: #888; font-style: italic; }
.coverage { color: #55606e; font-size: 13px; }
nav { display: flex; gap: 1.2rem; font-size: 13px; } nav a { color: #2f6fdf; }
.warning { background: #fff4e5; border-left: 4px solid #e8742f; padding: .5rem .8rem; }
"""


def render_html(figures: DayFigures) -> str:
    """The report page: headline figures, four charts, two tables."""
    day = figures.day.isoformat()
    share = figures.bot_events / figures.events if figures.events else 0.0
    repos = [(name, events) for name, events, *_ in figures.top_repos]
    people = [(login, contributions) for login, contributions, *_ in figures.top_people]
    hours = len({moment for moment, _, _ in figures.hourly})
    repo_table = _table(["repository", "events", "stars", "forks", "pushes"], figures.top_repos)
    people_table = _table(
        ["login", "contributions", "pushes", "pull requests", "issues"], figures.top_people
    )
    return _page(
        f"GitHub on {day}",
        f"""{navigation(figures)}
<h1>GitHub on {day}</h1>
<p class="lede">{figures.events:,} public events, {share:.1%} of them by bots.
From GH Archive: events in {hours} of the day's 24 hours.</p>
{coverage_html(figures.coverage)}
<h2>Event types over the hours (UTC)</h2>
{hourly_chart(figures)}
<h2>Top repositories by events</h2>
{bar_chart("chart-repos", "repositories", repos, PALETTE[0])}
{repo_table}
<h2>Top contributors (people; bots apart)</h2>
{bar_chart("chart-people", "contributors", people, PALETTE[2])}
{people_table}
<h2>Busiest bots</h2>
{bar_chart("chart-top-bots", "bots", list(figures.top_bots), PALETTE[3])}
<h2>Bot share by event type</h2>
{bot_share_chart(figures)}""",
    )


def _page(title: str, body: str) -> str:
    """A self-contained page: its styles inline, nothing to fetch."""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<style>{STYLE}</style>
</head>
<body>
{body}
</body>
</html>
"""


def report_name(day: date) -> str:
    """The report's file name; reports sit side by side, so links are relative."""
    return f"{day.isoformat()}.html"


def navigation(figures: DayFigures) -> str:
    links = []
    if figures.previous_day:
        links.append(
            f'<a id="previous-day" href="{report_name(figures.previous_day)}">'
            f"← {figures.previous_day.isoformat()}</a>"
        )
    links.append('<a id="index" href="index.html">every day</a>')
    if figures.next_day:
        links.append(
            f'<a id="next-day" href="{report_name(figures.next_day)}">'
            f"{figures.next_day.isoformat()} →</a>"
        )
    return f"<nav>{''.join(links)}</nav>"


def render_index(days: list[tuple[date, int | None, bool | None]]) -> str:
    """The page listing every report, newest first: (day, events, degraded)."""
    rows = "".join(
        f'<tr><td><a href="{report_name(day)}">{day.isoformat()}</a></td>'
        f"<td>{'' if events is None else f'{events:,}'}</td>"
        f"<td>{'degraded or incomplete' if degraded else ''}</td></tr>"
        for day, events, degraded in sorted(days, reverse=True)
    )
    return _page(
        "GitHub, day by day",
        f"""<h1>GitHub, day by day</h1>
<p class="lede">{len(days)} daily reports from GH Archive.</p>
<table id="reports"><thead><tr><th>day</th><th>events</th><th>coverage</th></tr></thead>
<tbody>{rows}</tbody></table>""",
    )


def coverage_html(coverage: DayCoverage | None) -> str:
    """The day's coverage line, and a warning when hours are degraded or missing."""
    if coverage is None:
        return ""
    capture = (
        f"; capture ratio {coverage.capture_ratio:.3f} (distinct event ids over their span)"
        if coverage.capture_ratio is not None
        else ""
    )
    line = (
        f'<p class="coverage" id="coverage">Coverage: {coverage.hours_loaded} of 24 hours '
        f"loaded{capture}.</p>"
    )
    warning = coverage.warning()
    if warning:
        line += f'<p class="warning" id="coverage-warning" role="alert">{escape(warning)}</p>'
    return line


def render_markdown(figures: DayFigures) -> str:
    """A short preview for the asset's metadata in the Dagster UI."""
    share = figures.bot_events / figures.events if figures.events else 0.0
    lines = [
        f"**{figures.day.isoformat()}**: {figures.events:,} events, {share:.1%} by bots.",
        "",
    ]
    if figures.coverage and (warning := figures.coverage.warning()):
        lines += [f"> **Warning**: {warning}", ""]
    lines += [
        "| top repository | events | stars |",
        "|---|---:|---:|",
    ]
    lines += [
        f"| {_md(name)} | {events:,} | {stars:,} |"
        for name, events, stars, *_ in figures.top_repos[:5]
    ]
    lines += ["", "| top contributor | contributions |", "|---|---:|"]
    lines += [f"| {_md(login)} | {count:,} |" for login, count, *_ in figures.top_people[:5]]
    return "\n".join(lines)


def _md(text: str) -> str:
    return text.replace("|", "\\|")
