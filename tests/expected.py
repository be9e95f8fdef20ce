"""The figures a test expects, computed from generated records in plain Python.

Deliberately independent of the project's cleaner and SQL: it reads the
records as the generator wrote them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta

from gharchive_assets.clean.timestamps import timestamp_micros

KNOWN_BOTS = {"hubot", "dependabot", "github-actions", "renovate"}


def is_bot(login: str | None) -> bool:
    if not login:
        return False
    lower = login.lower()
    return login.endswith("[bot]") or lower in KNOWN_BOTS or lower.endswith(("-bot", "_bot"))


# The behaviour rule of dbt_project/macros/bots.sql (vars in dbt_project.yml).
BOT_PUSHES_PER_HOUR, BOT_ACTIVE_HOURS = 40, 20


def bots_by_behaviour(records: list[dict]) -> set[tuple[date, int]]:
    """(day, actor id) of accounts acting at a machine's pace that day: many
    pushes within one clock hour, or activity in nearly every hour."""
    pushes, hours = Counter(), defaultdict(set)
    for record in records:
        moment = datetime.fromisoformat(record["created_at"].replace("Z", "+00:00"))
        moment = moment.astimezone(UTC)
        key = (moment.date(), record["actor"]["id"])
        hours[key].add(moment.hour)
        pushes[(key, moment.hour)] += record["type"] == "PushEvent"
    busiest = Counter()
    for (key, _), n in pushes.items():
        busiest[key] = max(busiest[key], n)
    return {
        key
        for key in hours
        if busiest[key] >= BOT_PUSHES_PER_HOUR or len(hours[key]) >= BOT_ACTIVE_HOURS
    }


def day_of(record: dict) -> date:
    return datetime.fromisoformat(record["created_at"].replace("Z", "+00:00")).date()


def deduplicated(records_by_hour: dict) -> list[dict]:
    """One record per event, (id, created_at): the first hour's copy kept."""
    seen, kept = set(), []
    for hour in sorted(records_by_hour):
        for record in records_by_hour[hour]:
            key = (record["id"], timestamp_micros(record["created_at"]))
            if key not in seen:
                seen.add(key)
                kept.append(record)
    return kept


def daily_event_counts(records: list[dict]) -> dict[tuple, tuple]:
    groups = defaultdict(list)
    for record in records:
        groups[(day_of(record), record["type"])].append(record)
    return {
        key: (
            len(group),
            len({r["actor"]["id"] for r in group}),
            len({r["repo"]["id"] for r in group}),
        )
        for key, group in groups.items()
    }


def repo_activity_daily(records: list[dict]) -> dict[tuple, tuple]:
    groups = defaultdict(Counter)
    for record in records:
        key = (day_of(record), record["repo"]["id"], record["repo"]["name"])
        kind = record["type"]
        action = record["payload"].get("action")
        counter = groups[key]
        counter["events"] += 1
        counter["stars"] += kind == "WatchEvent"
        counter["forks"] += kind == "ForkEvent"
        counter["pushes"] += kind == "PushEvent"
        counter["prs"] += kind == "PullRequestEvent" and action == "opened"
        counter["issues"] += kind == "IssuesEvent" and action == "opened"
    return {
        key: (c["events"], c["stars"], c["forks"], c["pushes"], c["prs"], c["issues"])
        for key, c in groups.items()
    }


def actor_activity_daily(records: list[dict]) -> dict[tuple, tuple]:
    counts = Counter((day_of(r), r["actor"]["id"], r["actor"]["login"], r["type"]) for r in records)
    machines = bots_by_behaviour(records)
    return {key: (is_bot(key[2]) or key[:2] in machines, n) for key, n in counts.items()}


def bot_share_daily(records: list[dict]) -> dict[tuple, tuple]:
    bots, people = Counter(), Counter()
    machines = bots_by_behaviour(records)
    for record in records:
        key = (day_of(record), record["type"])
        bot = is_bot(record["actor"]["login"]) or (key[0], record["actor"]["id"]) in machines
        (bots if bot else people)[key] += 1
    return {
        key: (bots[key], people[key], bots[key] / (bots[key] + people[key]))
        for key in set(bots) | set(people)
    }


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))


def contributors_daily(records: list[dict]) -> dict[tuple, tuple]:
    """(day, actor_id) → (contributions, pushes, is_bot, rank_without_bots)."""
    counts, pushes = Counter(), Counter()
    logins = {}
    for record in records:
        if record["type"] in ("WatchEvent", "ForkEvent"):
            continue
        key = (day_of(record), record["actor"]["id"])
        counts[key] += 1
        pushes[key] += record["type"] == "PushEvent"
        logins[key] = record["actor"]["login"]
    machines = bots_by_behaviour(records)
    bot = {key: is_bot(login) or key in machines for key, login in logins.items()}
    people = defaultdict(list)
    for (day, actor), n in counts.items():
        if not bot[(day, actor)]:
            people[day].append(n)
    result = {}
    for (day, actor), n in counts.items():
        is_a_bot = bot[(day, actor)]
        rank = None if is_a_bot else 1 + sum(other > n for other in people[day])
        result[(day, actor)] = (n, pushes[(day, actor)], is_a_bot, rank)
    return result


def pull_requests_daily(records: list[dict]) -> dict[tuple, tuple]:
    """(day, repo_id) → (opened, closed, merged, closed_merge_unknown, avg hours to merge,
    merged additions)."""
    groups = defaultdict(list)
    for record in records:
        if record["type"] == "PullRequestEvent":
            groups[(day_of(record), record["repo"]["id"])].append(record["payload"])
    result = {}
    for key, payloads in groups.items():
        closed = [p for p in payloads if p["action"] == "closed"]
        merges = [p for p in closed if p["pull_request"].get("merged") is True]
        hours = [
            (_moment(p["pull_request"]["merged_at"]) - _moment(p["pull_request"]["created_at"]))
            / timedelta(hours=1)
            for p in merges
            if p["pull_request"].get("created_at")
        ]
        additions = [
            p["pull_request"]["additions"] for p in merges if "additions" in p["pull_request"]
        ]
        result[key] = (
            sum(p["action"] == "opened" for p in payloads),
            len(closed),
            # NULL, never 0, when every close lacks the merged flag (trimmed payloads).
            None
            if closed and all("merged" not in p["pull_request"] for p in closed)
            else len(merges),
            sum("merged" not in p["pull_request"] for p in closed),
            sum(hours) / len(hours) if hours else None,
            sum(additions) if additions else None,
        )
    return result


def issues_daily(records: list[dict]) -> dict[tuple, tuple]:
    """(day, repo_id) → (opened, closed, comments on issues, comments on pull requests)."""
    counts = defaultdict(Counter)
    for record in records:
        key = (day_of(record), record["repo"]["id"])
        payload = record["payload"]
        if record["type"] == "IssuesEvent":
            counts[key][payload["action"]] += 1
        elif record["type"] == "IssueCommentEvent":
            on_pull = "pull_request" in payload["issue"]
            counts[key]["on_pull" if on_pull else "on_issue"] += 1
    return {
        key: (c["opened"], c["closed"], c["on_issue"], c["on_pull"]) for key, c in counts.items()
    }


def issue_labels_daily(records: list[dict]) -> dict[tuple, tuple]:
    """(day, label) → (issue events, issues opened, pull request events, repos)."""
    counts, repos = defaultdict(Counter), defaultdict(set)
    for record in records:
        payload = record["payload"]
        if record["type"] == "IssuesEvent":
            kind, labels = "issue", payload["issue"].get("labels") or []
        elif record["type"] == "PullRequestEvent":
            kind, labels = "pull", payload["pull_request"].get("labels") or []
        else:
            continue
        for label in labels:
            key = (day_of(record), label["name"])
            counts[key][kind] += 1
            counts[key]["opened"] += kind == "issue" and payload["action"] == "opened"
            repos[key].add(record["repo"]["id"])
    return {key: (c["issue"], c["opened"], c["pull"], len(repos[key])) for key, c in counts.items()}


def releases_daily(records: list[dict]) -> dict[tuple, tuple]:
    """(day, repo_id) → (releases, distinct tags)."""
    tags = defaultdict(list)
    for record in records:
        if record["type"] == "ReleaseEvent":
            tags[(day_of(record), record["repo"]["id"])].append(
                record["payload"]["release"]["tag_name"]
            )
    return {key: (len(values), len(set(values))) for key, values in tags.items()}


def new_repositories(records: list[dict]) -> set[tuple]:
    """(day, repo_id) of each repository created."""
    return {
        (day_of(r), r["repo"]["id"])
        for r in records
        if r["type"] == "CreateEvent" and r["payload"]["ref_type"] == "repository"
    }


def org_activity_daily(records: list[dict]) -> dict[tuple, tuple]:
    """(day, org_id) → (events, actors, repos)."""
    groups = defaultdict(list)
    for record in records:
        if "org" in record:
            groups[(day_of(record), record["org"]["id"])].append(record)
    return {
        key: (len(g), len({r["actor"]["id"] for r in g}), len({r["repo"]["id"] for r in g}))
        for key, g in groups.items()
    }


def actors_seen(records: list[dict]) -> dict[int, tuple]:
    """actor_id → (latest login, first created_at, last created_at)."""
    seen = {}
    for record in sorted(records, key=lambda r: r["created_at"]):
        actor, moment = record["actor"], _moment(record["created_at"])
        first = seen.get(actor["id"], (None, moment, None))[1]
        seen[actor["id"]] = (actor["login"], first, moment)
    return seen


def hourly_event_counts(records: list[dict]) -> dict[tuple, int]:
    """(hour, type) → events."""
    return Counter(
        (_moment(r["created_at"]).replace(minute=0, second=0, tzinfo=None), r["type"])
        for r in records
    )
