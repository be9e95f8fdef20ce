"""Realistic synthetic GH Archive hours, for tests and benchmarks.

Records follow the real shapes of each era: the Events API (2015 on, with
the October 2025 trimmed payloads as an option) and the Timeline API
(2011–2014: no ids, login strings, ``repository`` objects, Pacific offsets).
The mix of event types follows a real 2015 hour. Everything is seeded, so a
seed gives the same files on every machine.
"""

from __future__ import annotations

import gzip
import random
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import orjson

# Share of events per type in a real 2015 hour (the rest spread over the tail).
EVENT_MIX = {
    "PushEvent": 56.0,
    "CreateEvent": 10.0,
    "IssueCommentEvent": 9.0,
    "WatchEvent": 9.0,
    "IssuesEvent": 4.0,
    "PullRequestEvent": 4.0,
    "ForkEvent": 3.0,
    "GollumEvent": 1.2,
    "PullRequestReviewCommentEvent": 1.0,
    "DeleteEvent": 1.0,
    "CommitCommentEvent": 0.5,
    "ReleaseEvent": 0.4,
    "PullRequestReviewEvent": 0.4,
    "MemberEvent": 0.2,
    "PublicEvent": 0.1,
}
TIMELINE_ONLY_TYPES = {
    "FollowEvent": 1.0,
    "GistEvent": 1.0,
    "DownloadEvent": 0.3,
    "ForkApplyEvent": 0.1,
    "TeamAddEvent": 0.1,
}
BOT_LOGINS = [
    "dependabot[bot]",
    "github-actions[bot]",
    "renovate[bot]",
    "greenkeeperio-bot",
    "hubot",
]
# People whose logins contain "bot" without being bots.
BOTLIKE_PEOPLE = ["botandrose", "abbott", "robotics-lab-student"]
PACIFIC_WINTER = timezone(timedelta(hours=-8))
WORDS = [
    "fix",
    "add",
    "update",
    "remove",
    "refactor",
    "docs",
    "test",
    "bump",
    "release",
    "merge",
    "support",
    "improve",
]


@dataclass
class Actor:
    id: int
    login: str


@dataclass
class Repo:
    id: int
    owner: str
    name: str
    org: Actor | None

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass
class ArchiveFaker:
    """Makes hours of events from one population of actors and repositories."""

    seed: int = 0
    actors: int = 400
    repos: int = 300
    rich: bool = False
    """Full user and repository objects inside payloads, as in 2016–2025 files
    (events average about 2.4 kB, as in a 2024 hour)."""
    next_event_id: int = 2_489_395_767
    rng: random.Random = field(init=False)
    _emitted: list[dict] = field(init=False, default_factory=list)

    def __post_init__(self):
        self.rng = random.Random(self.seed)
        rng = self.rng
        people = [Actor(1_000 + i, f"user{i}-{rng.choice(WORDS)}") for i in range(self.actors)]
        bots = [Actor(49_699_333 + i, login) for i, login in enumerate(BOT_LOGINS)]
        lookalikes = [Actor(900_000 + i, login) for i, login in enumerate(BOTLIKE_PEOPLE)]
        self.actor_pool = people + bots + lookalikes
        self.bot_pool = bots
        orgs = [Actor(5_000_000 + i, f"org{i}") for i in range(max(self.repos // 10, 1))]
        self.repo_pool = []
        for i in range(self.repos):
            org = orgs[i % len(orgs)] if i % 3 == 0 else None
            owner = org.login if org else rng.choice(people).login
            self.repo_pool.append(Repo(28_000_000 + i, owner, f"project-{i}", org))
        self._types = list(EVENT_MIX)
        self._weights = list(EVENT_MIX.values())

    def hour(
        self,
        hour: datetime,
        events: int,
        *,
        era: str = "events",
        duplicates: int = 0,
        late: int = 0,
        bursts: dict[str, int] | None = None,
    ) -> list[dict]:
        """Records of one archive hour, in no particular order.

        era: ``events`` (2015–2025), ``trimmed`` (since 2025-10, trimmed
        payloads) or ``timeline`` (2011–2014). ``duplicates`` copies events
        already emitted by earlier hours (GH Archive repeats some ids across
        files); ``late`` adds events created in the previous hour; ``bursts``
        adds, for each login, that many PushEvents by it within the hour (an
        account pushing at a machine's pace, or a busy person).
        """
        hour = hour.astimezone(UTC)
        records = []
        for _ in range(events):
            moment = hour + timedelta(seconds=self.rng.randrange(3600))
            records.append(self._record(moment, era))
        for _ in range(late):
            moment = hour - timedelta(seconds=self.rng.randrange(1, 3600))
            records.append(self._record(moment, era))
        for login, pushes in (bursts or {}).items():
            actor = self._actor(login)
            for _ in range(pushes):
                moment = hour + timedelta(seconds=self.rng.randrange(3600))
                records.append(self._record(moment, era, "PushEvent", actor))
        if duplicates and self._emitted:
            records += [
                dict(r) for r in self.rng.sample(self._emitted, min(duplicates, len(self._emitted)))
            ]
        self.rng.shuffle(records)
        self._emitted.extend(records[: min(len(records), 200)])
        return records

    def _actor(self, login: str) -> Actor:
        """The pool's actor of that login, else one outside the pool (so the
        random draws of later hours stay as they were), its id from its login."""
        for actor in self.actor_pool:
            if actor.login == login:
                return actor
        return Actor(70_000_000 + zlib.crc32(login.encode()) % 10_000_000, login)

    def _record(
        self, moment: datetime, era: str, event_type: str | None = None, actor: Actor | None = None
    ) -> dict:
        rng = self.rng
        if event_type is None and era == "timeline" and rng.random() < 0.03:
            event_type = rng.choices(list(TIMELINE_ONLY_TYPES), list(TIMELINE_ONLY_TYPES.values()))[
                0
            ]
        elif event_type is None:
            event_type = rng.choices(self._types, self._weights)[0]
        if actor is None:
            actor = (
                rng.choice(self.bot_pool) if rng.random() < 0.05 else rng.choice(self.actor_pool)
            )
        repo = rng.choice(self.repo_pool)
        payload = self._payload(event_type, actor, repo, moment, trimmed=era == "trimmed")
        if era == "timeline":
            return self._timeline_record(event_type, actor, repo, moment, payload)
        record = {
            "id": str(self.next_event_id),
            "type": event_type,
            "actor": {
                "id": actor.id,
                "login": actor.login,
                "gravatar_id": "",
                "url": f"https://api.github.com/users/{actor.login}",
                "avatar_url": f"https://avatars.githubusercontent.com/u/{actor.id}?",
            },
            "repo": {
                "id": repo.id,
                "name": repo.full_name,
                "url": f"https://api.github.com/repos/{repo.full_name}",
            },
            "payload": payload,
            "public": True,
            "created_at": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        self.next_event_id += rng.randrange(1, 7)
        if repo.org:
            record["org"] = {
                "id": repo.org.id,
                "login": repo.org.login,
                "gravatar_id": "",
                "url": f"https://api.github.com/orgs/{repo.org.login}",
                "avatar_url": f"https://avatars.githubusercontent.com/u/{repo.org.id}?",
            }
        return record

    def _timeline_record(self, event_type, actor, repo, moment, payload) -> dict:
        local = moment.astimezone(PACIFIC_WINTER)
        record = {
            "type": event_type,
            "public": True,
            "created_at": local.isoformat(),
            "actor": actor.login,
            "actor_attributes": {"login": actor.login, "type": "User", "gravatar_id": "0" * 32},
            "url": f"https://github.com/{repo.full_name}",
            "payload": payload,
        }
        if event_type not in ("FollowEvent", "GistEvent"):
            repository = {
                "id": repo.id,
                "name": repo.name,
                "owner": repo.owner,
                "url": f"https://github.com/{repo.full_name}",
                "watchers": self.rng.randrange(1000),
                "forks": self.rng.randrange(100),
                "fork": False,
                "private": False,
                "created_at": "2010-05-01T10:00:00-07:00",
            }
            if repo.org:
                repository["organization"] = repo.org.login
            record["repository"] = repository
        return record

    def _payload(self, event_type, actor, repo, moment, trimmed) -> dict:
        payload = self._bare_payload(event_type, actor, repo, moment, trimmed)
        if self.rich and not trimmed:
            self._enrich(event_type, payload, actor, repo)
        return payload

    def _enrich(self, event_type, payload, actor, repo) -> None:
        """Add the nested objects real payloads carry (users, repositories, bodies)."""
        body = " ".join(self.rng.choice(WORDS) for _ in range(self.rng.randrange(10, 120)))
        if event_type == "PullRequestEvent":
            pull = payload["pull_request"]
            pull |= _api_links(f"repos/{repo.full_name}/pulls/{payload['number']}", 14)
            pull |= {
                "body": body,
                "user": _user(actor),
                "created_at": "2024-01-01T00:00:00Z",
                "head": {
                    "label": f"{actor.login}:feature",
                    "ref": "feature",
                    "sha": "a" * 40,
                    "user": _user(actor),
                    "repo": _repository(repo),
                },
                "base": {
                    "label": f"{repo.owner}:main",
                    "ref": "main",
                    "sha": "b" * 40,
                    "user": _user(actor),
                    "repo": _repository(repo),
                },
                "author_association": "CONTRIBUTOR",
                "draft": False,
            }
        elif event_type in ("IssuesEvent", "IssueCommentEvent"):
            issue = payload["issue"]
            issue |= _api_links(f"repos/{repo.full_name}/issues/{issue['number']}", 7)
            issue |= {
                "body": body,
                "user": _user(actor),
                "author_association": "NONE",
                "reactions": {"total_count": 0, "+1": 0, "-1": 0, "laugh": 0},
            }
            if "comment" in payload:
                payload["comment"] |= {
                    "user": _user(actor),
                    "body": body,
                    **_api_links(f"repos/{repo.full_name}/issues/comments/1", 3),
                }
        elif event_type == "ForkEvent":
            payload["forkee"] |= _repository(repo)
        elif event_type in (
            "ReleaseEvent",
            "PullRequestReviewEvent",
            "PullRequestReviewCommentEvent",
        ):
            payload |= {"sender": _user(actor), "body": body}

    def _bare_payload(self, event_type, actor, repo, moment, trimmed) -> dict:
        rng = self.rng
        number = rng.randrange(1, 5000)
        when = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        if event_type == "PushEvent":
            head = f"{rng.getrandbits(160):040x}"
            payload = {
                "push_id": rng.randrange(10**9),
                "ref": "refs/heads/main",
                "head": head,
                "before": f"{rng.getrandbits(160):040x}",
            }
            if not trimmed:
                size = rng.choice([1, 1, 1, 2, 3, 5, 25])
                payload["size"] = size
                payload["distinct_size"] = max(size - rng.randrange(2), 0)
                payload["commits"] = [
                    {
                        "sha": f"{rng.getrandbits(160):040x}",
                        "author": {"email": "someone@example.com", "name": actor.login},
                        "message": f"{rng.choice(WORDS)} {rng.choice(WORDS)} ✓ for #{number}",
                        "distinct": True,
                        "url": f"https://api.github.com/repos/{repo.full_name}/commits/{head}",
                    }
                    for _ in range(min(size, 20))
                ]
            return payload
        if event_type in ("CreateEvent", "DeleteEvent"):
            ref_type = rng.choice(["branch", "branch", "tag", "repository"])
            ref = None if ref_type == "repository" else f"feature-{number}"
            payload = {"ref": ref, "ref_type": ref_type, "pusher_type": "user"}
            if event_type == "CreateEvent":
                payload |= {"master_branch": "main", "description": "A project"}
            return payload
        if event_type == "WatchEvent":
            return {"action": "started"}
        if event_type == "ForkEvent":
            return {
                "forkee": {"id": rng.randrange(10**8), "full_name": f"{actor.login}/{repo.name}"}
            }
        if event_type in ("IssuesEvent", "IssueCommentEvent"):
            is_pr = event_type == "IssueCommentEvent" and rng.random() < 0.4
            issue = {
                "id": rng.randrange(10**8),
                "number": number,
                "title": f"{rng.choice(WORDS)} it",
                "state": "open",
                "labels": [
                    {"name": n}
                    for n in rng.sample(["bug", "docs", "help wanted", "ci"], rng.randrange(3))
                ],
                "user": {"login": actor.login, "id": actor.id},
                "body": "Details\r\nhere",
            }
            if is_pr:
                issue["pull_request"] = {
                    "url": f"https://api.github.com/repos/{repo.full_name}/pulls/{number}"
                }
            if event_type == "IssuesEvent":
                return {
                    "action": rng.choice(["opened", "opened", "closed", "reopened", "labeled"]),
                    "issue": issue,
                }
            return {
                "action": "created",
                "issue": issue,
                "comment": {"id": rng.randrange(10**8), "body": "LGTM 👍"},
            }
        if event_type == "PullRequestEvent":
            action = rng.choice(["opened", "opened", "closed", "closed", "reopened"])
            merged = action == "closed" and rng.random() < 0.7
            open_for = timedelta(seconds=0 if action == "opened" else rng.randrange(60, 30 * 86400))
            opened = (moment - open_for).strftime("%Y-%m-%dT%H:%M:%SZ")
            if trimmed:
                pull = {
                    "id": rng.randrange(10**8),
                    "number": number,
                    "head": {"ref": f"feature-{number}"},
                    "base": {"ref": "main"},
                }
            else:
                pull = {
                    "id": rng.randrange(10**8),
                    "number": number,
                    "state": "closed" if action == "closed" else "open",
                    "title": "Improve things",
                    "created_at": opened,
                    "merged": merged,
                    "merged_at": when if merged else None,
                    "additions": rng.randrange(500),
                    "deletions": rng.randrange(200),
                    "changed_files": rng.randrange(1, 30),
                    "commits": rng.randrange(1, 9),
                    "labels": [{"name": "enhancement"}] if rng.random() < 0.3 else [],
                    "user": {"login": actor.login, "id": actor.id},
                }
            return {"action": action, "number": number, "pull_request": pull}
        if event_type.startswith("PullRequestReview"):
            payload = {
                "action": "created",
                "pull_request": {"id": rng.randrange(10**8), "number": number},
            }
            if event_type == "PullRequestReviewCommentEvent":
                payload["comment"] = {"id": rng.randrange(10**8), "body": "nit: `x`"}
            else:
                payload["review"] = {"id": rng.randrange(10**8), "state": "approved"}
            return payload
        if event_type == "ReleaseEvent":
            return {
                "action": "published",
                "release": {
                    "id": rng.randrange(10**8),
                    "tag_name": f"v1.{number}.0",
                    "name": "Release",
                },
            }
        if event_type == "GollumEvent":
            return {
                "pages": [
                    {
                        "page_name": "Home",
                        "title": "Home",
                        "action": "edited",
                        "sha": f"{rng.getrandbits(160):040x}",
                    }
                ]
            }
        if event_type == "MemberEvent":
            return {"action": "added", "member": {"login": rng.choice(self.actor_pool).login}}
        if event_type == "CommitCommentEvent":
            return {
                "comment": {
                    "id": rng.randrange(10**8),
                    "body": "Why?",
                    "commit_id": f"{rng.getrandbits(160):040x}",
                }
            }
        if event_type == "FollowEvent":
            target = rng.choice(self.actor_pool)
            return {"target": {"login": target.login, "id": target.id}}
        if event_type == "GistEvent":
            return {
                "action": "create",
                "gist": {"id": rng.randrange(10**6), "url": "https://gist.github.com/1"},
            }
        return {}


def _api_links(path: str, count: int) -> dict:
    names = ["url", "html_url", "diff_url", "patch_url", "issue_url", "commits_url",
             "review_comments_url", "review_comment_url", "comments_url", "statuses_url",
             "events_url", "labels_url", "repository_url", "timeline_url"]  # fmt: skip
    return {name: f"https://api.github.com/{path}/{name[:-4]}" for name in names[:count]}


def _user(actor: Actor) -> dict:
    base = f"https://api.github.com/users/{actor.login}"
    user = {"login": actor.login, "id": actor.id, "node_id": f"MDQ6VXNlcj{actor.id}",
            "avatar_url": f"https://avatars.githubusercontent.com/u/{actor.id}?v=4",
            "gravatar_id": "", "type": "User", "site_admin": False}  # fmt: skip
    for name in ("html", "followers", "following", "gists", "starred", "subscriptions",
                 "organizations", "repos", "events", "received_events"):  # fmt: skip
        user[f"{name}_url"] = f"{base}/{name}"
    return user


def _repository(repo: Repo) -> dict:
    base = f"https://api.github.com/repos/{repo.full_name}"
    fields = {"id": repo.id, "node_id": f"MDEwOlJlcG9zaXRvcnk{repo.id}", "name": repo.name,
              "full_name": repo.full_name, "private": False, "description": "A project",
              "fork": False, "created_at": "2019-05-01T10:00:00Z", "pushed_at": "2024-01-01T00:00:00Z",
              "homepage": None, "size": 1234, "stargazers_count": 10, "watchers_count": 10,
              "language": "Python", "has_issues": True, "has_projects": True, "forks_count": 2,
              "open_issues_count": 3, "license": {"key": "mit", "name": "MIT License"},
              "topics": ["data", "tools"], "visibility": "public", "default_branch": "main"}  # fmt: skip
    for name in ("html", "forks", "keys", "collaborators", "teams", "hooks", "issue_events",
                 "events", "assignees", "branches", "tags", "blobs", "git_tags", "git_refs",
                 "trees", "statuses", "languages", "stargazers", "contributors",
                 "subscribers", "subscription", "commits", "git_commits", "comments",
                 "issue_comment", "contents", "compare", "merges", "archive", "downloads",
                 "issues", "pulls", "milestones", "notifications", "labels", "releases",
                 "deployments", "git", "ssh", "clone", "svn"):  # fmt: skip
        fields[f"{name}_url"] = f"{base}/{name}"
    return fields


def archive_file_name(hour: datetime) -> str:
    hour = hour.astimezone(UTC)
    return f"{hour:%Y-%m-%d}-{hour.hour}.json.gz"


def write_hour(
    directory: Path, hour: datetime, records: list[dict], extra_lines: list[bytes] = ()
) -> Path:
    """Write records (and raw ``extra_lines``, appended) as the hour's archive file."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / archive_file_name(hour)
    lines = [orjson.dumps(record) for record in records] + list(extra_lines)
    with gzip.open(path, "wb", compresslevel=6) as handle:
        handle.write(b"\n".join(lines) + b"\n")
    return path


def trimmed_copy(record: dict) -> dict:
    """The copy GH Archive keeps of an event since 2025-10-07: the payload's
    size, commits and pull request details gone (the pull request's number kept)."""
    payload = {
        k: v
        for k, v in (record.get("payload") or {}).items()
        if k not in ("size", "distinct_size", "commits", "pull_request")
    }
    if "pull_request" in (record.get("payload") or {}):
        payload["pull_request"] = {"number": record["payload"]["pull_request"].get("number")}
    return {**record, "payload": payload}


def bad_lines(good: dict) -> dict[str, bytes]:
    """One of each defect seen inside real archive files, keyed by name.

    Lines that can be recovered are built from ``good`` (a valid record).
    """
    line = orjson.dumps(good)
    second = dict(good, id=str(int(good["id"]) + 1)) if "id" in good else dict(good)
    return {
        "not_json": b"this is not json",
        "truncated": line[: len(line) // 2],
        "concatenated": line + orjson.dumps(second),
        "nul_bytes": b"\x00" * 64 + line + b"\x00" * 8,
        "escaped_nul": line.replace(b'"payload":{', b'"payload":{"note":"a\\u0000b",', 1),
        "invalid_utf8": line.replace(b'"payload":{', b'"payload":{"note":"caf\xe9",', 1),
        "lone_surrogate": line.replace(b'"payload":{', b'"payload":{"note":"\\ud800x",', 1),
        "blank": b"",
        "no_type": orjson.dumps({k: v for k, v in good.items() if k != "type"}),
        "no_created_at": orjson.dumps({k: v for k, v in good.items() if k != "created_at"}),
        "json_array": b"[1, 2, 3]",
    }
