"""One archive record → one row of the clean columns, whatever the era.

Events API era (2015-01-01 on): ``id``, ``actor``/``repo``/``org`` objects.
Timeline era (2011-02-12 to 2014-12-31): no id, ``actor`` a login (or null),
``actor_attributes``, a ``repository`` object with ``owner``/``name`` and an
``organization`` login, ``created_at`` with a US-Pacific offset.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import orjson

from gharchive_assets.archive_lines import BadLine

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MICROSECOND = timedelta(microseconds=1)
SURROGATE_PREFIX = "tl-"
_TIMESTAMP_CACHE: dict[str, int] = {}


def timestamp_micros(text) -> int | None:
    """Microseconds since the epoch (UTC) of an ISO-8601 timestamp, None if it is not one."""
    if type(text) is not str:
        return None
    micros = _TIMESTAMP_CACHE.get(text)
    if micros is None:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            try:
                moment = datetime.strptime(text, "%Y/%m/%d %H:%M:%S %z")
            except ValueError:
                return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        micros = (moment - EPOCH) // ONE_MICROSECOND
        if len(_TIMESTAMP_CACHE) > 200_000:
            _TIMESTAMP_CACHE.clear()
        _TIMESTAMP_CACHE[text] = micros
    return micros


def _int(value) -> int | None:
    if type(value) is int:
        return value
    if type(value) is str and value.isdigit():
        return int(value)
    return None


def _str(value) -> str | None:
    if value is None or type(value) is str:
        return value
    if type(value) in (int, float, bool):
        return str(value)
    return None


def _bool(value) -> bool | None:
    return value if type(value) is bool else None


def _dict(value) -> dict:
    return value if type(value) is dict else {}


def surrogate_id(record: dict) -> str:
    """A stable id for a record that has none; never all digits, so never a real id."""
    canonical = orjson.dumps(record, option=orjson.OPT_SORT_KEYS)
    return SURROGATE_PREFIX + hashlib.blake2b(canonical, digest_size=12).hexdigest()


def _labels(item: dict) -> list[str] | None:
    labels = item.get("labels")
    if type(labels) is not list:
        return None
    names = [_str(_dict(label).get("name")) for label in labels]
    return [name for name in names if name is not None]


def _is_pull_request(issue: dict) -> bool | None:
    if not issue:
        return None
    links = issue.get("pull_request")
    if type(links) is dict:
        return any(links.values())
    return bool(links)


def normalise(record: dict, archive_hour: int) -> tuple:
    """The row for ``record`` in the order of ``events_schema.COLUMNS``."""
    event_type = record.get("type")
    if type(event_type) is not str or not event_type:
        raise BadLine("record has no type")
    created_at = timestamp_micros(record.get("created_at"))
    if created_at is None:
        if record.get("created_at") is None:
            raise BadLine("record has no created_at")
        raise BadLine(f"created_at {record.get('created_at')!r} is not a timestamp")

    event_id = record.get("id")
    event_id = str(event_id) if type(event_id) in (str, int) and event_id != "" else None
    if event_id is None:
        event_id = surrogate_id(record)

    actor = record.get("actor")
    if type(actor) is dict:
        actor_id, actor_login = _int(actor.get("id")), _str(actor.get("login"))
    else:
        attributes = _dict(record.get("actor_attributes"))
        actor_id = _int(attributes.get("id"))
        actor_login = _str(actor) if actor is not None else _str(attributes.get("login"))

    org = record.get("org")
    org_id = org_login = None
    if type(org) is dict:
        org_id, org_login = _int(org.get("id")), _str(org.get("login"))

    repo = record.get("repo")
    if type(repo) is dict:
        repo_id, repo_name = _int(repo.get("id")), _str(repo.get("name"))
    else:
        repository = _dict(record.get("repository"))
        repo_id = _int(repository.get("id"))
        owner, name = _str(repository.get("owner")), _str(repository.get("name"))
        if type(repository.get("owner")) is dict:
            owner = _str(repository["owner"].get("login"))
        repo_name = f"{owner}/{name}" if owner and name else None
        if org_login is None:
            org_login = _str(repository.get("organization"))

    payload = record.get("payload")
    payload_json = None if payload is None else orjson.dumps(payload).decode()
    payload = _dict(payload)
    action = _str(payload.get("action"))

    number = ref = ref_type = push_size = push_distinct_size = None
    pr_merged = pr_merged_at = pr_additions = pr_deletions = pr_changed_files = None
    release_tag_name = comment_on_pull_request = labels = None
    if event_type == "PushEvent":
        ref = _str(payload.get("ref"))
        push_size = _int(payload.get("size"))
        push_distinct_size = _int(payload.get("distinct_size"))
    elif event_type in ("CreateEvent", "DeleteEvent"):
        ref, ref_type = _str(payload.get("ref")), _str(payload.get("ref_type"))
    elif event_type == "PullRequestEvent":
        pull = _dict(payload.get("pull_request"))
        number = _int(payload.get("number")) or _int(pull.get("number"))
        pr_merged = _bool(pull.get("merged"))
        pr_merged_at = timestamp_micros(pull.get("merged_at"))
        pr_additions = _int(pull.get("additions"))
        pr_deletions = _int(pull.get("deletions"))
        pr_changed_files = _int(pull.get("changed_files"))
        labels = _labels(pull)
    elif event_type.startswith("PullRequestReview"):
        pull = _dict(payload.get("pull_request"))
        number = _int(pull.get("number")) or _int(payload.get("number"))
    elif event_type in ("IssuesEvent", "IssueCommentEvent"):
        issue = _dict(payload.get("issue"))
        number = _int(issue.get("number")) or _int(payload.get("number"))
        if event_type == "IssuesEvent":
            labels = _labels(issue)
        else:
            comment_on_pull_request = _is_pull_request(issue)
    elif event_type == "ReleaseEvent":
        release_tag_name = _str(_dict(payload.get("release")).get("tag_name"))

    return (
        event_id, event_type, created_at, archive_hour,
        actor_id, actor_login, repo_id, repo_name, org_id, org_login,
        _bool(record.get("public")), action, payload_json,
        number, ref, ref_type, push_size, push_distinct_size,
        pr_merged, pr_merged_at, pr_additions, pr_deletions, pr_changed_files,
        release_tag_name, comment_on_pull_request, labels,
    )  # fmt: skip
