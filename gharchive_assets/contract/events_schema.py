"""The columns of a clean hour and of the warehouse table ``events``.

One list, used by the cleaner (parquet), the DuckDB and BigQuery tables, so
the three cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

TIMESTAMP = pa.timestamp("us", tz="UTC")


@dataclass(frozen=True)
class Column:
    name: str
    arrow: pa.DataType
    duckdb: str
    bigquery: str
    description: str
    required: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("id", pa.string(), "VARCHAR", "STRING",
           "GitHub's event id; for records without one (Timeline era) a surrogate "
           "'tl-' + 24 hex digits of a hash of the record, the same on every run.", True),
    Column("type", pa.string(), "VARCHAR", "STRING", "Event type, e.g. PushEvent.", True),
    Column("created_at", TIMESTAMP, "TIMESTAMP", "TIMESTAMP",
           "When GitHub recorded the event, in UTC.", True),
    Column("archive_hour", TIMESTAMP, "TIMESTAMP", "TIMESTAMP",
           "The archive hour (partition) the event was read from, in UTC.", True),
    Column("actor_id", pa.int64(), "BIGINT", "INT64", "Numeric id of the actor; null in the Timeline era."),
    Column("actor_login", pa.string(), "VARCHAR", "STRING", "Login of the actor."),
    Column("repo_id", pa.int64(), "BIGINT", "INT64", "Numeric id of the repository, when the record has one."),
    Column("repo_name", pa.string(), "VARCHAR", "STRING", "Repository as owner/name."),
    Column("org_id", pa.int64(), "BIGINT", "INT64", "Numeric id of the organisation; null when absent."),
    Column("org_login", pa.string(), "VARCHAR", "STRING", "Login of the organisation; null when absent."),
    Column("public", pa.bool_(), "BOOLEAN", "BOOL", "Whether the event is public."),
    Column("action", pa.string(), "VARCHAR", "STRING", "The payload's action (opened, closed, started, ...), where there is one."),
    Column("payload", pa.string(), "VARCHAR", "STRING", "The whole payload as JSON text."),
    Column("number", pa.int64(), "BIGINT", "INT64", "Issue or pull request number (Issues, IssueComment, PullRequest* events)."),
    Column("ref", pa.string(), "VARCHAR", "STRING", "Git ref (Push, Create, Delete events)."),
    Column("ref_type", pa.string(), "VARCHAR", "STRING", "repository, branch or tag (Create, Delete events)."),
    Column("push_size", pa.int64(), "BIGINT", "INT64", "Commits in the push (payload size; the commits list is capped at 20). Null when trimmed (since 2025-10)."),
    Column("push_distinct_size", pa.int64(), "BIGINT", "INT64", "Distinct commits in the push. Null when trimmed."),
    Column("pr_merged", pa.bool_(), "BOOLEAN", "BOOL", "PullRequestEvent: whether the pull request is merged. Null when trimmed."),
    Column("pr_created_at", TIMESTAMP, "TIMESTAMP", "TIMESTAMP", "PullRequestEvent: when the pull request was opened, UTC. Null when trimmed."),
    Column("pr_merged_at", TIMESTAMP, "TIMESTAMP", "TIMESTAMP", "PullRequestEvent: when it was merged, UTC."),
    Column("pr_additions", pa.int64(), "BIGINT", "INT64", "PullRequestEvent: lines added. Null when trimmed."),
    Column("pr_deletions", pa.int64(), "BIGINT", "INT64", "PullRequestEvent: lines deleted. Null when trimmed."),
    Column("pr_changed_files", pa.int64(), "BIGINT", "INT64", "PullRequestEvent: files changed. Null when trimmed."),
    Column("release_tag_name", pa.string(), "VARCHAR", "STRING", "ReleaseEvent: the release's tag."),
    Column("comment_on_pull_request", pa.bool_(), "BOOLEAN", "BOOL", "IssueCommentEvent: whether the commented issue is a pull request."),
    Column("issue_labels", pa.list_(pa.string()), "VARCHAR[]", "ARRAY<STRING>", "IssuesEvent / PullRequestEvent: label names."),
)  # fmt: skip

COLUMN_NAMES = tuple(column.name for column in COLUMNS)
ARROW_SCHEMA = pa.schema(
    [pa.field(c.name, c.arrow, nullable=not c.required) for c in COLUMNS],
    metadata={"gharchive_assets.schema": "1"},
)
