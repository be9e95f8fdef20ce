"""One archive record → one row of the clean columns, whatever the era.

Events API era (2015-01-01 on): ``id``, ``actor``/``repo``/``org`` objects.
Timeline era (2011-02-12 to 2014-12-31): no id, ``actor`` a login (or null),
``actor_attributes``, a ``repository`` object with ``owner``/``name`` and an
``organization`` login, ``created_at`` with a US-Pacific offset.

:func:`normalise` is the general path, and the reference: the C scanner
(``_linescan.c``) reads the common clean Events-API line straight into Arrow
and must give exactly the row :func:`normalise` gives; it declines every
other line to this one (damaged lines, the Timeline shape, records without an id).
"""

from __future__ import annotations

import hashlib

import orjson

from gharchive_assets.clean.archive_lines import BadLine
from gharchive_assets.clean.payload_fields import fields_from_object, typed_columns
from gharchive_assets.clean.timestamps import iso, timestamp_micros

SURROGATE_PREFIX = "tl-"
MICROS_PER_HOUR = 3_600_000_000
# The window an event's created_at must lie in, around its archive hour's start
# (docs/hostile-input.md): a week before it, for the late events that files hold
# since 2025-05-24 (GitHub documents up to 6 hours of feed latency; crawler
# outages have been caught up days later), and a day after it, for the Timeline
# era's US-Pacific labels (7 or 8 hours behind UTC) and its files that ran into
# the next hour. Outside it, a timestamp is impossible for the hour (1970, 2099).
CREATED_AT_EARLIEST_HOURS = 168
CREATED_AT_LATEST_HOURS = 24


def created_at_window(archive_hour: int) -> tuple[int, int]:
    """[earliest, latest) created_at (microseconds) of an event of the hour."""
    return (
        archive_hour - CREATED_AT_EARLIEST_HOURS * MICROS_PER_HOUR,
        archive_hour + CREATED_AT_LATEST_HOURS * MICROS_PER_HOUR,
    )


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


def _dict(value) -> dict:
    return value if type(value) is dict else {}


def surrogate_id(record: dict) -> str:
    """A stable id for a record that has none; never all digits, so never a real id."""
    canonical = orjson.dumps(record, option=orjson.OPT_SORT_KEYS)
    return SURROGATE_PREFIX + hashlib.blake2b(canonical, digest_size=12).hexdigest()


def normalise(record: dict, archive_hour: int) -> tuple:
    """The row of a parsed record of any era, in the order of ``events_schema.COLUMNS``."""
    event_type = record.get("type")
    if type(event_type) is not str or not event_type:
        raise BadLine("record has no type")
    created_at = timestamp_micros(record.get("created_at"))
    if created_at is None:
        if record.get("created_at") is None:
            raise BadLine("record has no created_at")
        raise BadLine(f"created_at {record.get('created_at')!r} is not a timestamp")

    earliest, latest = created_at_window(archive_hour)
    if not earliest <= created_at < latest:
        raise BadLine(
            f"created_at outside the hour's window: {record.get('created_at')!r} is not "
            f"within {iso(earliest)} to {iso(latest)} (exclusive)"
        )

    event_id = record.get("id")
    if event_id is None or event_id == "":
        event_id = surrogate_id(record)
    elif type(event_id) is int and event_id >= 0:
        event_id = str(event_id)
    elif type(event_id) is not str or not (event_id.isascii() and event_id.isdigit()):
        raise BadLine(f"id not a GitHub event id: {event_id!r} (digits only)")

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

    public = record.get("public")
    payload = record.get("payload")
    fields = fields_from_object(payload)
    return (
        event_id, event_type, created_at, archive_hour,
        actor_id, actor_login, repo_id, repo_name, org_id, org_login,
        public if type(public) is bool else None, fields.action,
        None if payload is None else orjson.dumps(payload),
        *typed_columns(event_type, fields),
    )  # fmt: skip
