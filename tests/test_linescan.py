"""The C line scanner against the general path: the same row, or a declined line.

The scanner (``gharchive_assets/clean/_linescan.c``) is only a fast path: every line it
accepts must give exactly the row that ``event_records.normalise`` gives for
the parsed record, and every line it is unsure of must be declined to that
path. These tests check both on every generated shape, on hand-made edge
cases, on thousands of seeded mutations, and on the real 2015 hour when present.
"""

from __future__ import annotations

import copy
import gzip
import json
import random
from datetime import UTC, datetime

import orjson
import pyarrow as pa
import pytest

from gharchive_assets.clean import _linescan
from gharchive_assets.clean.archive_lines import SUSPECT_ESCAPE, BadLine
from gharchive_assets.clean.block_parser import (
    PAYLOAD_COLUMN,
    batch_from_buffers,
    general_path_rows,
)
from gharchive_assets.clean.timestamps import timestamp_micros
from gharchive_assets.contract.events_schema import COLUMN_NAMES
from tests.conftest import REAL_HOUR
from tests.synthetic import ArchiveFaker

HOUR = datetime(2015, 1, 1, 0, tzinfo=UTC)
ARCHIVE_HOUR = 1_420_070_400_000_000


def hour_of(line: bytes) -> int:
    """The archive hour of a line's created_at (so its window holds it), else ARCHIVE_HOUR."""
    try:
        micros = timestamp_micros(orjson.loads(line).get("created_at"))
    except (orjson.JSONDecodeError, AttributeError):
        micros = None
    return ARCHIVE_HOUR if micros is None else micros - micros % 3_600_000_000


def general_rows(line: bytes, archive_hour: int = ARCHIVE_HOUR) -> list[tuple] | None:
    """The general path's rows for a line; None if it would be quarantined."""
    try:
        return general_path_rows(line, archive_hour)[0]
    except BadLine:
        return None


def scan(lines: list[bytes], archive_hour: int = ARCHIVE_HOUR) -> tuple[list[tuple | None], int]:
    """Each line's scanned row, or None where the scanner declined it."""
    rows, count, declined, buffers = _linescan.scan(b"\n".join(lines), archive_hour)
    assert count == len(lines)
    batch = batch_from_buffers(rows, buffers)
    columns = [
        column.cast(pa.int64()).to_pylist()
        if pa.types.is_timestamp(column.type)
        else column.to_pylist()
        for column in batch.columns
    ]
    scanned = iter(zip(*columns, strict=True))
    declined_at = {index for index, _, _ in declined}
    return [None if i in declined_at else next(scanned) for i in range(len(lines))], len(declined)


def comparable(row: tuple) -> tuple:
    """A row with its payload parsed: the scanner keeps the source's text, the
    general path re-serialises it."""
    row = list(row)
    if row[PAYLOAD_COLUMN] is not None:
        row[PAYLOAD_COLUMN] = orjson.loads(row[PAYLOAD_COLUMN])
    return tuple(row)


def assert_agree(lines: list[bytes], archive_hour: int = ARCHIVE_HOUR) -> tuple[int, int]:
    """Every accepted line's row equals the general path's; returns (accepted, declined)."""
    scanned, declined = scan(lines, archive_hour)
    for line, row in zip(lines, scanned, strict=True):
        if row is None:
            continue
        general = general_rows(line, archive_hour)
        assert general is not None and len(general) == 1, (
            f"accepted a line the general path rejects or splits: {line[:300]!r}"
        )
        assert comparable(row) == comparable(general[0]), line[:300]
    return len(lines) - declined, declined


def test_column_order_is_the_schema_order():
    assert _linescan.COLUMN_NAMES == COLUMN_NAMES


@pytest.mark.parametrize("era", ["events", "trimmed"])
@pytest.mark.parametrize("ensure_ascii", [False, True])
def test_every_clean_events_api_line_is_scanned_and_matches(era, ensure_ascii):
    """All event types, rich payloads, bots, late events: none declined, all equal.
    ``ensure_ascii`` spells non-ASCII text as \\u escapes, which the scanner decodes."""
    faker = ArchiveFaker(seed=31, rich=True)
    records = faker.hour(HOUR, 3000, era=era, late=50)
    lines = [
        json.dumps(r, ensure_ascii=ensure_ascii, separators=(",", ":")).encode() for r in records
    ]
    if ensure_ascii:  # astral characters become surrogate pairs: the general path's
        lines = [line for line in lines if not SUSPECT_ESCAPE.search(line)]
    accepted, declined = assert_agree(lines)
    assert declined == 0 and accepted == len(lines)
    # The payload is the source's own text, byte for byte.
    rows, _ = scan(lines[:50])
    for line, row in zip(lines[:50], rows, strict=True):
        assert row[PAYLOAD_COLUMN] is None or row[PAYLOAD_COLUMN].encode() in line


BASE = {
    "id": "2489651045",
    "type": "PullRequestEvent",
    "actor": {"id": 1, "login": "octocat"},
    "repo": {"id": 2, "name": "octo/repo"},
    "org": {"id": 3, "login": "octo"},
    "payload": {
        "action": "closed",
        "number": 0,
        "pull_request": {
            "number": 7,
            "merged": True,
            "created_at": "2015-01-01T00:00:00Z",
            "merged_at": "2015-01-01T10:45:00-08:00",
            "additions": 10,
            "deletions": 2,
            "changed_files": 1,
            "labels": [{"name": "bug"}, {"name": None}, {"name": 'é \\ " /'}],
        },
    },
    "public": True,
    "created_at": "2015-01-01T15:00:00+05:30",
}


def line_of(**changes) -> bytes:
    record = dict(BASE)
    for key, value in changes.items():
        if value is ...:
            record.pop(key, None)
        else:
            record[key] = value
    return orjson.dumps(record)


ACCEPTED = {
    "a full pull request event": line_of(),
    "whitespace around and inside": b'  { "id" : "1" , "type" : "X" , "created_at" : "2015-01-01T00:00:00Z" }\r',
    "escapes in extracted strings": line_of(actor={"id": 1, "login": 'a\\u00e9\\n\\t\\"\\/b'}),
    "null payload, actor, repo, org": line_of(payload=None, actor=None, repo=None, org=None),
    "no payload, no org, no public": line_of(payload=..., org=..., public=...),
    "an unknown event type": line_of(type="SponsorshipEvent"),
    "an issue comment on a pull request": line_of(
        type="IssueCommentEvent",
        payload={"issue": {"number": 3, "pull_request": {"url": "", "html_url": "x"}}},
    ),
    "an issue comment whose pull_request is all falsy": line_of(
        type="IssueCommentEvent",
        payload={
            "issue": {"number": 0, "pull_request": {"a": 0, "b": [], "c": {}, "d": None}},
            "number": 4,
        },
    ),
    "a review taking the payload's number": line_of(
        type="PullRequestReviewEvent", payload={"number": 5, "pull_request": {"number": 0}}
    ),
    "a push with negative and zero sizes": line_of(
        type="PushEvent", payload={"size": -1, "distinct_size": 0, "ref": "r"}
    ),
    "the largest int64": line_of(actor={"id": 2**63 - 1, "login": "x"}),
    "the smallest int64": line_of(repo={"id": -(2**63), "name": "x/y"}),
    "a leap day": line_of(created_at="2016-02-29T23:59:59Z"),
    "deep unknown nesting": line_of(payload={"deep": [[[[{"a": [1.5e-3, -0, True, None]}]]]]}),
}

DECLINED = {
    "a blank line": b"",
    "only whitespace": b"   ",
    "not JSON": b"<html>",
    "two objects on one line": line_of() + line_of(),
    "a trailing comma": line_of()[:-1] + b",}",
    "a truncated line": line_of()[:-9],
    "invalid UTF-8": line_of().replace(b"octocat", b"octo\xe9at"),
    "an overlong UTF-8 encoding": line_of().replace(b"octocat", b"octo\xc0\xafat"),
    "a UTF-8-encoded surrogate": line_of().replace(b"octocat", b"octo\xed\xa0\x80at"),
    "a NUL escape": line_of().replace(b"octocat", b"octo\\u0000cat"),
    "a lone surrogate escape": line_of().replace(b"octocat", b"octo\\ud800cat"),
    "a surrogate pair escape": line_of().replace(b"octocat", b"octo\\ud83d\\ude00cat"),
    "a raw NUL byte": line_of().replace(b"octocat", b"octo\x00cat"),
    "a raw control character": line_of().replace(b"octocat", b"octo\x01cat"),
    "a bad escape": line_of().replace(b"octocat", b"octo\\xcat"),
    "a Timeline record": orjson.dumps(
        {"type": "WatchEvent", "actor": "octocat", "repository": {"owner": "o", "name": "r"},
         "created_at": "2012-03-04T05:06:07-08:00"}
    ),
    "no id": line_of(id=...),
    "a numeric id": line_of(id=12),
    "an empty id": line_of(id=""),
    "no type": line_of(type=...),
    "no created_at": line_of(created_at=...),
    "fractional seconds": line_of(created_at="2015-01-01T00:00:00.5Z"),
    "a slash-spelled created_at": line_of(created_at="2012/03/04 05:06:07 -0800"),
    "February 30th": line_of(created_at="2015-02-30T00:00:00Z"),
    "a string actor id": line_of(actor={"id": "12", "login": "x"}),
    "a float number": line_of(payload={"number": 1.0}),
    "an int beyond int64": line_of(actor={"id": 2**63, "login": "x"}),
    "a boolean public as a string": line_of(public="true"),
    "a label that is not an object": line_of(payload={"pull_request": {"labels": ["bug"]}}),
    "an issue id, not an issue": line_of(type="IssuesEvent", payload={"issue": 12345}),
    "a duplicate key": line_of().replace(b'{"id"', b'{"id":"9","id"', 1),
    "an escaped key": line_of().replace(b'"type"', b'"typ\\u0065"', 1),
    "an unparsable merged_at": line_of(payload={"pull_request": {"merged_at": "yesterday"}}),
    "a number beyond a double": line_of(payload={"x": 1}).replace(b'"x":1', b'"x":1e400'),
    "an integer beyond a double": line_of(payload={"x": 1}).replace(b'"x":1', b'"x":1' + b"0" * 400),
    "a float in issue.pull_request": line_of(
        type="IssueCommentEvent", payload={"issue": {"pull_request": {"x": 1e-400}}}
    ),
}  # fmt: skip


@pytest.mark.parametrize("line", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_edge_cases_the_scanner_reads(line):
    assert assert_agree([line], hour_of(line)) == (1, 0)


@pytest.mark.parametrize("line", DECLINED.values(), ids=DECLINED.keys())
def test_edge_cases_left_to_the_general_path(line):
    assert assert_agree([line], hour_of(line)) == (0, 1)


def test_accepted_values_are_what_the_record_says():
    """Independent of normalise: a few values read back as written."""
    (row,), _ = scan([line_of()])
    values = dict(zip(COLUMN_NAMES, row, strict=True))
    assert values["number"] == 7  # the payload's 0 is falsy: the pull request's number
    assert values["created_at"] == 1420104600_000000  # 15:00 +05:30
    assert values["pr_merged_at"] == 1420137900_000000  # 10:45 -08:00
    assert values["issue_labels"] == ["bug", 'é \\ " /']
    assert (values["pr_merged"], values["public"], values["comment_on_pull_request"]) == (
        True,
        True,
        None,
    )
    assert values["archive_hour"] == ARCHIVE_HOUR


def _mutate_structure(rng: random.Random, record: dict) -> dict:
    """Set one field, at any depth the scanner reads, to a value of any type."""
    record = json.loads(json.dumps(record))
    values = [None, "", "12", 12, 0, -1, 2**63, 1.5, True, False, [], {}, [{"name": "x"}],
              {"url": "u"}, "2015-01-01T00:00:00+05:30", "2015-01-01T00:00:00.123Z",
              "2015-13-01T00:00:00Z", "é\u2028", "a\x00b", "\ud800", "PullRequestEvent",
              "IssueCommentEvent", "PullRequestReviewCommentEvent", "PushEvent"]  # fmt: skip
    paths = [("id",), ("type",), ("created_at",), ("actor",), ("actor", "id"), ("actor", "login"),
             ("repo",), ("repo", "name"), ("org",), ("org", "id"), ("public",), ("payload",),
             ("actor_attributes",), ("repository",)]  # fmt: skip
    for key in ("action", "number", "ref", "ref_type", "size", "distinct_size", "pull_request",
                "issue", "release"):  # fmt: skip
        paths.append(("payload", key))
    for key in ("number", "merged", "created_at", "merged_at", "additions", "labels"):
        paths.append(("payload", "pull_request", key))
    for key in ("number", "labels", "pull_request"):
        paths.append(("payload", "issue", key))
    paths += [("payload", "issue", "pull_request", "url"), ("payload", "release", "tag_name")]
    for _ in range(rng.randint(1, 3)):
        path = rng.choice(paths)
        target = record
        for key in path[:-1]:
            if type(target.get(key)) is not dict:
                target[key] = {}
            target = target[key]
        if rng.random() < 0.1:
            target.pop(path[-1], None)
        else:
            target[path[-1]] = copy.deepcopy(rng.choice(values))
    return record


PALETTE = [b'"', b"\\", b"{", b"}", b"[", b"]", b",", b":", b"0", b"-", b"e", b".", b" ",
           b"\x00", b"\xff", b"\xc3", b"\x1f", b"n", b"t", b"u", b"\\u0041", b"\\ud83d"]  # fmt: skip


def _mutate_bytes(rng: random.Random, line: bytes) -> bytes:
    position = rng.randrange(len(line))
    match rng.randrange(4):
        case 0:
            return line[:position] + rng.choice(PALETTE) + line[position + 1 :]
        case 1:
            return line[:position] + line[position + 1 :]
        case 2:
            return line[:position] + rng.choice(PALETTE) + line[position:]
        case _:
            return line[:position]


def test_mutated_lines_are_read_alike_or_declined():
    """Seeded fuzzing: a structural change at every field the scanner reads, and
    byte-level damage anywhere. Both outcomes must occur, and agree when accepted."""
    rng = random.Random(20251121)
    faker = ArchiveFaker(seed=77, rich=True)
    records = faker.hour(HOUR, 600) + faker.hour(HOUR, 200, era="trimmed")
    lines = []
    for _ in range(4000):
        record = _mutate_structure(rng, rng.choice(records))
        lines.append(
            json.dumps(record, ensure_ascii=rng.random() < 0.3).encode("utf-8", "surrogatepass")
        )
    for _ in range(4000):
        lines.append(_mutate_bytes(rng, orjson.dumps(rng.choice(records))))
    accepted, declined = assert_agree(lines)
    assert accepted > 2000 and declined > 2000, (accepted, declined)


@pytest.mark.skipif(not REAL_HOUR.exists(), reason="the real 2015 hour (../shared) is absent")
def test_real_hour_lines_match():
    with gzip.open(REAL_HOUR) as handle:
        lines = handle.read().rstrip(b"\n").split(b"\n")
    accepted, declined = assert_agree(lines)
    assert accepted + declined == 7427 and declined < 75, declined
