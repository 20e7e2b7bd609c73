"""The ground truth's types: repositories, users, labels, issues (pull requests among them),
comments, releases and events, with the identifiers GitHub gives them.

Times are whole Unix seconds, as GitHub's timestamps are whole seconds (``2026-12-03T10:00:00Z``):
several changes can share one second. Ids are deterministic: a user's follows from its login,
everything else is numbered in creation order. Node ids are GitHub's legacy global ids, base64 of
``0<len>:<Type><id>`` (``MDU6SXNzdWUx`` is ``05:Issue1``), as in the examples of
https://docs.github.com/en/graphql/guides/using-global-node-ids.
"""

from __future__ import annotations

import base64
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "Comment",
    "Event",
    "Issue",
    "Json",
    "Label",
    "Pull",
    "Release",
    "Repository",
    "User",
    "iso",
    "node_id",
    "user",
]

Json = dict[str, Any]


def iso(epoch: int) -> str:
    """``2026-12-03T10:00:00Z``: GitHub's timestamp format."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def node_id(kind: str, number: int) -> str:
    """GitHub's legacy global node id of an object of type ``kind``."""
    return base64.b64encode(f"0{len(kind)}:{kind}{number}".encode()).decode()


@dataclass(frozen=True)
class User:
    login: str
    id: int
    kind: str = "User"  # or "Organization"


def user(login: str, kind: str = "User") -> User:
    """The user (or organization) of a login; its id follows from the login."""
    return User(login, 1_000_000 + zlib.crc32(login.lower().encode()) % 90_000_000, kind)


@dataclass(frozen=True)
class Label:
    id: int
    name: str
    color: str
    description: str
    default: bool


@dataclass
class Comment:
    id: int
    issue_number: int
    user: User
    body: str
    created_at: int
    updated_at: int


@dataclass
class Pull:
    """What a pull request has beyond its issue."""

    id: int
    head_ref: str
    head_sha: str
    base_sha: str
    commits: int
    additions: int
    deletions: int
    changed_files: int
    draft: bool
    merged_at: int | None = None
    merged_by: User | None = None
    merge_commit_sha: str | None = None


@dataclass
class Issue:
    """An issue, or a pull request when ``pull`` is set (GitHub lists both as issues)."""

    id: int
    number: int
    title: str
    body: str
    user: User
    created_at: int
    updated_at: int
    heat: float  # how strongly generated comments are drawn to it
    state: str = "open"
    state_reason: str | None = None
    closed_at: int | None = None
    closed_by: User | None = None
    labels: list[Label] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    pull: Pull | None = None


@dataclass
class Release:
    id: int
    tag_name: str
    name: str
    body: str
    author: User
    created_at: int
    published_at: int
    prerelease: bool
    target_commitish: str = "main"


@dataclass(frozen=True)
class Event:
    """One entry of the repository's event feed; the payload as it was at ``created_at``."""

    id: int
    type: str
    actor: User
    created_at: int
    payload: Json


@dataclass
class Repository:
    id: int
    owner: User
    name: str
    created_at: int
    labels: tuple[Label, ...]
    issues: dict[int, Issue] = field(default_factory=dict)
    releases: list[Release] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    @property
    def full_name(self) -> str:
        return f"{self.owner.login}/{self.name}"
