"""The ground truth and how it changes: repositories whose issues, pull requests, comments and
releases are made by a seeded stream of actions, each also written to the event feed.

Every repository has its own stream (``random.Random`` seeded by the seed and the repository's
name): action times are whole seconds (a fifth of them share the previous action's second), and
each action is drawn from what the repository holds at that moment: open an issue or a pull
request, comment (on issues drawn by a heavy-tailed "heat", so a few gather many comments),
edit a title or body, label, close (a pull request is merged seven times in ten), reopen, or
publish a release. Streams start ``history_days`` before ``clock_start``; :meth:`World.advance_to`
applies every action due by a clock reading, in time order across repositories. The truth at a
given reading therefore depends only on the settings and on the admin mutations made so far
(:meth:`World.edit`, :meth:`World.comment`), never on when requests arrived.

What changes an issue bumps its ``updated_at``, as on GitHub: an edit, a label, closing,
reopening, and a new comment
(https://docs.github.com/en/rest/issues/issues#list-repository-issues: ``since`` "Only show
results that were last updated after the given time"; a comment updates its issue).
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from typing import Literal

from tunestream_emulator.github.model import (
    Comment,
    Event,
    Issue,
    Json,
    Label,
    Pull,
    Release,
    Repository,
    User,
    user,
)
from tunestream_emulator.github.render import Renderer
from tunestream_emulator.github.settings import GithubSettings

__all__ = ["Action", "World"]

Action = Literal["open", "comment", "edit", "label", "close", "reopen", "release"]

_WEIGHTS: tuple[tuple[Action, float], ...] = (
    ("open", 0.16),
    ("comment", 0.42),
    ("edit", 0.12),
    ("label", 0.08),
    ("close", 0.13),
    ("reopen", 0.03),
    ("release", 0.06),
)
_SAME_SECOND = 0.2
_PULL_SHARE = 0.3

#: GitHub's default labels of a new repository.
_LABELS = (
    ("bug", "d73a4a", "Something isn't working"),
    ("documentation", "0075ca", "Improvements or additions to documentation"),
    ("duplicate", "cfd3d7", "This issue or pull request already exists"),
    ("enhancement", "a2eeef", "New feature or request"),
    ("good first issue", "7057ff", "Good for newcomers"),
    ("help wanted", "008672", "Extra attention is needed"),
    ("question", "d876e3", "Further information is requested"),
)
_LOGINS = (
    "mona", "hubot", "ada-l", "grace-h", "linus-t", "margaret-h", "ken-t", "barbara-l",
    "dennis-r", "frances-a", "radia-p", "anita-b", "edsger-d", "donald-k", "leslie-l",
)  # fmt: skip
_VERBS = ("Fix", "Add", "Support", "Document", "Remove", "Speed up", "Refactor", "Test", "Handle")
_THINGS = (
    "pagination", "the token refresh", "rate limit headers", "retries", "the config loader",
    "timezone parsing", "the CLI", "empty pages", "unicode titles", "the cache", "logging",
    "release notes", "the installer", "error messages", "large payloads", "the scheduler",
)  # fmt: skip
_SENTENCES = (
    "Steps to reproduce are below.", "This happens on every run.", "Seen since the last release.",
    "A test would catch it.", "Happy to send a patch.", "Works on my machine, fails in CI.",
    "The docs say otherwise.", "Any pointers welcome.", "Thanks for the project!",
)  # fmt: skip


@dataclass
class _Stream:
    """One repository's seeded action stream and when its next action is due."""

    index: int
    repo: Repository
    rng: random.Random
    due: int
    releases: int = 0


class World:
    """The repositories and their history; one instance per running stand-in."""

    def __init__(self, settings: GithubSettings, render: Renderer) -> None:
        self.render = render
        self.contributors = [user(_login(i)) for i in range(settings.contributors)]
        self._rate = settings.actions_per_hour / 3600
        start = int(settings.clock_start.timestamp()) - int(settings.history_days * 86_400)
        self._issue_ids = itertools.count(2_000_000_001)
        self._pull_ids = itertools.count(1_500_000_001)
        self._comment_ids = itertools.count(3_000_000_001)
        self._release_ids = itertools.count(150_000_001)
        self._event_ids = itertools.count(40_000_000_001)
        self.repos: dict[str, Repository] = {}
        self._streams: list[_Stream] = []
        for index, full_name in enumerate(settings.repositories):
            owner, name = full_name.split("/")
            rng = random.Random(f"{settings.seed}:{full_name}")
            labels = tuple(
                Label(5_000_000_000 + 100 * index + i, label, color, description, True)
                for i, (label, color, description) in enumerate(_LABELS)
            )
            repo = Repository(
                id=700_000_001 + index,
                owner=user(owner, "Organization"),
                name=name,
                created_at=start - rng.randint(30, 900) * 86_400,
                labels=labels,
            )
            self.repos[full_name.lower()] = repo
            self._streams.append(_Stream(index, repo, rng, start + self._gap(rng)))

    def repository(self, owner: str, name: str) -> Repository | None:
        """A repository by name; like GitHub's, names are not case sensitive."""
        return self.repos.get(f"{owner}/{name}".lower())

    def repository_by_id(self, repository_id: int) -> Repository | None:
        return next((r for r in self.repos.values() if r.id == repository_id), None)

    # -- time ------------------------------------------------------------------------------

    def _gap(self, rng: random.Random) -> int:
        if rng.random() < _SAME_SECOND:
            return 0
        return max(1, round(rng.expovariate(self._rate)))

    def advance_to(self, now: float) -> None:
        """Apply every generated action due at or before ``now``, in time order."""
        limit = int(now)
        while True:
            stream = min(self._streams, key=lambda s: (s.due, s.index))
            if stream.due > limit:
                return
            self._act(stream, stream.due)
            stream.due += self._gap(stream.rng)

    # -- generated actions -----------------------------------------------------------------

    def _act(self, stream: _Stream, at: int) -> None:
        rng, repo = stream.rng, stream.repo
        issues = list(repo.issues.values())
        open_ = [i for i in issues if i.state == "open"]
        reopenable = [i for i in issues if i.state == "closed" and not _merged(i)]
        unlabeled = [i for i in open_ if len(i.labels) < len(repo.labels)]
        candidates: dict[Action, list[Issue]] = {
            "comment": issues,
            "edit": open_,
            "label": unlabeled,
            "close": open_,
            "reopen": reopenable,
        }
        actions = [a for a, _ in _WEIGHTS]
        action = rng.choices(actions, weights=[w for _, w in _WEIGHTS])[0]
        if action in candidates and not candidates[action]:
            action = "open"
        actor = rng.choice(self.contributors)
        if action == "open":
            self._open(repo, rng, actor, at)
        elif action == "comment":
            heat = [i.heat * (1.0 if i.state == "open" else 0.2) for i in issues]
            target = rng.choices(issues, weights=heat)[0]
            self._comment(repo, target, actor, _sentences(rng, 1, 3), at)
        elif action == "edit":
            target = rng.choice(open_)
            if rng.random() < 0.5:
                self._edit(repo, target, target.user, at, title=_title(rng))
            else:
                self._edit(repo, target, target.user, at, body=_sentences(rng, 2, 5))
        elif action == "label":
            target = rng.choice(unlabeled)
            label = rng.choice([lb for lb in repo.labels if lb not in target.labels])
            self._label(repo, target, actor, label, at)
        elif action == "close":
            self._close(repo, rng.choice(open_), actor, rng, at)
        elif action == "reopen":
            self._reopen(repo, rng.choice(reopenable), actor, at)
        else:
            stream.releases += 1
            self._release(repo, rng, actor, stream.releases, at)

    def _open(self, repo: Repository, rng: random.Random, author: User, at: int) -> None:
        number = len(repo.issues) + 1
        pull = None
        if rng.random() < _PULL_SHARE:
            pull = Pull(
                id=next(self._pull_ids),
                head_ref=f"topic/{number}-{rng.choice(_THINGS).replace(' ', '-')}",
                head_sha=_sha(rng),
                base_sha=_sha(rng),
                commits=rng.randint(1, 12),
                additions=rng.randint(1, 800),
                deletions=rng.randint(0, 300),
                changed_files=rng.randint(1, 25),
                draft=rng.random() < 0.15,
            )
        issue = Issue(
            id=next(self._issue_ids),
            number=number,
            title=_title(rng),
            body=_sentences(rng, 1, 6),
            user=author,
            created_at=at,
            updated_at=at,
            heat=rng.paretovariate(1.2),
            pull=pull,
        )
        if rng.random() < 0.3:
            issue.labels.append(rng.choice(repo.labels))
        repo.issues[number] = issue
        self._issue_event(repo, issue, author, at, "opened")

    def _release(
        self, repo: Repository, rng: random.Random, author: User, count: int, at: int
    ) -> None:
        tag = f"v{count // 10}.{count % 10}.{rng.randint(0, 3)}"
        release = Release(
            id=next(self._release_ids),
            tag_name=tag,
            name=tag,
            body=_sentences(rng, 2, 6),
            author=author,
            created_at=at,
            published_at=at,
            prerelease=rng.random() < 0.15,
        )
        repo.releases.append(release)
        payload = {"action": "published", "release": self.render.release(repo, release)}
        self._record(repo, "ReleaseEvent", author, at, payload)

    # -- changes shared by the stream and the admin API ------------------------------------

    def _comment(self, repo: Repository, issue: Issue, author: User, body: str, at: int) -> Comment:
        comment = Comment(next(self._comment_ids), issue.number, author, body, at, at)
        issue.comments.append(comment)
        issue.updated_at = at
        payload = {
            "action": "created",
            "issue": self.render.issue(repo, issue),
            "comment": self.render.comment(repo, issue, comment),
        }
        self._record(repo, "IssueCommentEvent", author, at, payload)
        return comment

    def _edit(
        self,
        repo: Repository,
        issue: Issue,
        actor: User,
        at: int,
        title: str | None = None,
        body: str | None = None,
    ) -> None:
        changes: Json = {}
        if title is not None and title != issue.title:
            changes["title"] = {"from": issue.title}
            issue.title = title
        if body is not None and body != issue.body:
            changes["body"] = {"from": issue.body}
            issue.body = body
        issue.updated_at = at
        self._issue_event(repo, issue, actor, at, "edited", changes=changes)

    def _label(self, repo: Repository, issue: Issue, actor: User, label: Label, at: int) -> None:
        issue.labels.append(label)
        issue.updated_at = at
        self._issue_event(repo, issue, actor, at, "labeled", label=self.render.label(repo, label))

    def _close(
        self, repo: Repository, issue: Issue, actor: User, rng: random.Random, at: int
    ) -> None:
        issue.state, issue.closed_at, issue.closed_by, issue.updated_at = "closed", at, actor, at
        if issue.pull is not None:
            if rng.random() < 0.7:
                issue.pull.merged_at, issue.pull.merged_by = at, actor
                issue.pull.merge_commit_sha = _sha(rng)
        else:
            issue.state_reason = "completed" if rng.random() < 0.8 else "not_planned"
        self._issue_event(repo, issue, actor, at, "closed")

    def _reopen(self, repo: Repository, issue: Issue, actor: User, at: int) -> None:
        issue.state, issue.closed_at, issue.closed_by, issue.updated_at = "open", None, None, at
        issue.state_reason = None if issue.pull is not None else "reopened"
        self._issue_event(repo, issue, actor, at, "reopened")

    def _issue_event(
        self, repo: Repository, issue: Issue, actor: User, at: int, action: str, **extra: Json
    ) -> None:
        """IssuesEvent, or PullRequestEvent for a pull request: its payload carries the pull
        request as ``pull-request-minimal`` (GitHub trimmed event payloads in 2025), and of
        ``extra`` only a ``label``."""
        payload: Json
        if issue.pull is None:
            kind = "IssuesEvent"
            payload = {"action": action, "issue": self.render.issue(repo, issue), **extra}
        else:
            kind = "PullRequestEvent"
            payload = {
                "action": action,
                "number": issue.number,
                "pull_request": self.render.pull_request_minimal(repo, issue),
            }
            if "label" in extra:
                payload["label"] = extra["label"]
        self._record(repo, kind, actor, at, payload)

    def _record(self, repo: Repository, kind: str, actor: User, at: int, payload: Json) -> None:
        repo.events.append(Event(next(self._event_ids), kind, actor, at, payload))

    # -- admin mutations -------------------------------------------------------------------

    def edit(
        self, repo: Repository, issue: Issue, at: int, title: str | None, body: str | None
    ) -> None:
        """Edit an issue's title and/or body now, as its author."""
        self._edit(repo, issue, issue.user, at, title=title, body=body)

    def comment(
        self, repo: Repository, issue: Issue, at: int, body: str, login: str | None
    ) -> Comment:
        """Comment on an issue now, as ``login`` (default: the first contributor)."""
        author = user(login) if login else self.contributors[0]
        return self._comment(repo, issue, author, body, at)


def _login(index: int) -> str:
    base = _LOGINS[index % len(_LOGINS)]
    return base if index < len(_LOGINS) else f"{base}{index // len(_LOGINS)}"


def _merged(issue: Issue) -> bool:
    return issue.pull is not None and issue.pull.merged_at is not None


def _sha(rng: random.Random) -> str:
    return f"{rng.getrandbits(160):040x}"


def _title(rng: random.Random) -> str:
    return f"{rng.choice(_VERBS)} {rng.choice(_THINGS)}"


def _sentences(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(_SENTENCES) for _ in range(rng.randint(low, high)))
