"""The figures a test expects, computed from generated records in plain Python.

Deliberately independent of the project's cleaner and SQL: it reads the
records as the generator wrote them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime

KNOWN_BOTS = {"hubot", "dependabot", "github-actions", "renovate"}


def is_bot(login: str | None) -> bool:
    if not login:
        return False
    lower = login.lower()
    return login.endswith("[bot]") or lower in KNOWN_BOTS or lower.endswith(("-bot", "_bot"))


def day_of(record: dict) -> date:
    return datetime.fromisoformat(record["created_at"].replace("Z", "+00:00")).date()


def deduplicated(records_by_hour: dict) -> list[dict]:
    """One record per id, the first hour's copy kept."""
    seen, kept = set(), []
    for hour in sorted(records_by_hour):
        for record in records_by_hour[hour]:
            if record["id"] not in seen:
                seen.add(record["id"])
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
    return {key: (is_bot(key[2]), n) for key, n in counts.items()}


def bot_share_daily(records: list[dict]) -> dict[tuple, tuple]:
    bots, people = Counter(), Counter()
    for record in records:
        key = (day_of(record), record["type"])
        (bots if is_bot(record["actor"]["login"]) else people)[key] += 1
    return {
        key: (bots[key], people[key], bots[key] / (bots[key] + people[key]))
        for key in set(bots) | set(people)
    }
