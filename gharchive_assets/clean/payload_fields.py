"""The typed payload columns of a decoded payload: the general path's, and the
reference that the C scanner (``_linescan.c``) mirrors and is tested against.

Conversion is lenient (``strict=False``: "12" becomes 12) and a payload whose fields have unexpected types yields nulls,
never an error: the whole payload is kept as JSON text in any case.
"""

from __future__ import annotations

import msgspec

from gharchive_assets.clean.timestamps import timestamp_micros


class _Label(msgspec.Struct):
    name: str | None = None


class _PullRequest(msgspec.Struct):
    number: int | None = None
    merged: bool | None = None
    created_at: str | None = None
    merged_at: str | None = None
    additions: int | None = None
    deletions: int | None = None
    changed_files: int | None = None
    labels: list[_Label] | None = None


class _Issue(msgspec.Struct):
    number: int | None = None
    labels: list[_Label] | None = None
    pull_request: dict | None = None


class _Release(msgspec.Struct):
    tag_name: str | None = None


class PayloadFields(msgspec.Struct):
    action: str | None = None
    number: int | None = None
    ref: str | None = None
    ref_type: str | None = None
    size: int | None = None
    distinct_size: int | None = None
    pull_request: _PullRequest | None = None
    # Timeline-era IssuesEvent payloads carry the issue's id, not the issue.
    issue: _Issue | int | None = None
    release: _Release | None = None


EMPTY = PayloadFields()


def fields_from_object(payload) -> PayloadFields:
    if type(payload) is not dict:
        return EMPTY
    try:
        return msgspec.convert(payload, PayloadFields, strict=False)
    except msgspec.ValidationError:
        return EMPTY


def _labels(labels: list[_Label] | None) -> list[str] | None:
    if labels is None:
        return None
    return [label.name for label in labels if label.name is not None]


def typed_columns(event_type: str, fields: PayloadFields) -> tuple:
    """number, ref, ref_type, push_size, push_distinct_size, pr_merged, pr_created_at, pr_merged_at,
    pr_additions, pr_deletions, pr_changed_files, release_tag_name,
    comment_on_pull_request, issue_labels — null where the event has no such field."""
    number = ref = ref_type = push_size = push_distinct_size = None
    merged = created_at = merged_at = additions = deletions = changed_files = None
    tag_name = on_pull_request = labels = None
    if event_type == "PushEvent":
        ref, push_size, push_distinct_size = fields.ref, fields.size, fields.distinct_size
    elif event_type in ("CreateEvent", "DeleteEvent"):
        ref, ref_type = fields.ref, fields.ref_type
    elif event_type == "PullRequestEvent":
        pull = fields.pull_request
        number = fields.number
        if pull is not None:
            number = number or pull.number
            merged, additions = pull.merged, pull.additions
            deletions, changed_files = pull.deletions, pull.changed_files
            created_at = timestamp_micros(pull.created_at)
            merged_at = timestamp_micros(pull.merged_at)
            labels = _labels(pull.labels)
    elif event_type.startswith("PullRequestReview"):
        pull = fields.pull_request
        number = (pull.number if pull is not None else None) or fields.number
    elif event_type in ("IssuesEvent", "IssueCommentEvent"):
        issue = fields.issue
        if type(issue) is _Issue:
            number = issue.number or fields.number
            if event_type == "IssuesEvent":
                labels = _labels(issue.labels)
            elif issue.pull_request is not None:
                on_pull_request = any(issue.pull_request.values())
            else:
                on_pull_request = False
        else:
            number = fields.number
    elif event_type == "ReleaseEvent" and fields.release is not None:
        tag_name = fields.release.tag_name
    return (
        number, ref, ref_type, push_size, push_distinct_size,
        merged, created_at, merged_at, additions, deletions, changed_files,
        tag_name, on_pull_request, labels,
    )  # fmt: skip
