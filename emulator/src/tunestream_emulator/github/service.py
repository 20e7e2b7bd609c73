"""The stand-in's state and its REST answers, independent of the HTTP framework.

:class:`GithubService` owns the clock, the ground truth (:class:`World`), access control and the
request counts; each endpoint is one method taking a :class:`Call` and returning a
:class:`Listing` (paged by the server) or a :class:`Resource`, or raising :class:`GithubError`.
Parameters and orders are those of GitHub's reference:

- issues (https://docs.github.com/en/rest/issues/issues#list-repository-issues): ``state``
  open|closed|all (open), ``since`` (updated at or after), ``sort`` created|updated|comments
  (created), ``direction`` asc|desc (desc); pull requests are issues with a ``pull_request``
- comments (https://docs.github.com/en/rest/issues/comments#list-issue-comments): ``since``,
  ascending by id
- a pull request (https://docs.github.com/en/rest/pulls/pulls#get-a-pull-request)
- releases (https://docs.github.com/en/rest/releases/releases#list-releases): newest first
- events (https://docs.github.com/en/rest/activity/events#list-repository-events): newest
  first, only the past 90 days, at most 300 reachable; ``x-poll-interval: 60``

A value GitHub does not take for ``state``, ``sort``, ``direction`` or ``since`` is 422
``Validation Failed``; an unknown repository, issue or pull request is 404 ``Not Found``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tunestream_emulator.clock import Clock
from tunestream_emulator.errors import GithubError
from tunestream_emulator.github.access import Access
from tunestream_emulator.github.model import Issue, Json, Repository
from tunestream_emulator.github.paging import PageRequest
from tunestream_emulator.github.render import Renderer
from tunestream_emulator.github.settings import GithubSettings
from tunestream_emulator.github.world import World

__all__ = ["Call", "GithubService", "Handler", "Listing", "Resource"]

EVENT_DAYS = 90
EVENTS_REACHABLE = 300
POLL_INTERVAL_S = 60
_PAGINATION_LIMITED = (
    "In order to keep the API fast for everyone, pagination is limited for this resource. "
    "Check the rel=last link relation in the Link response header to see how far back you can "
    "traverse."
)


@dataclass(frozen=True)
class Call:
    """One admitted REST request, as the handlers see it."""

    path: Mapping[str, str]
    query: Mapping[str, str]
    now: int
    doc: str  # the endpoint's documentation, for its error bodies


@dataclass(frozen=True)
class Listing:
    """A paged answer: every item in order (rendered only for the page asked for)."""

    repo: Repository
    path: str  # after /repositories/{id}, for the link header
    items: Sequence[Any]
    render: Callable[[Any], Json]
    reachable: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def page(self, request: PageRequest) -> tuple[list[Json], int]:
        """The page's objects and the number of items the link header counts."""
        total = len(self.items)
        if self.reachable is not None:
            if request.offset >= self.reachable:
                raise GithubError(
                    422, _PAGINATION_LIMITED, "https://docs.github.com/v3/#pagination"
                )
            total = min(total, self.reachable)
        chunk = self.items[request.offset : min(total, request.offset + request.per_page)]
        return [self.render(item) for item in chunk], total


@dataclass(frozen=True)
class Resource:
    body: Json
    last_modified: int | None = None


Handler = Callable[["GithubService", Call], "Listing | Resource"]


def _choice(call: Call, name: str, allowed: tuple[str, ...]) -> str:
    value = call.query.get(name) or allowed[0]
    if value not in allowed:
        raise GithubError(422, "Validation Failed", call.doc)
    return value


def _since(call: Call) -> float | None:
    raw = call.query.get("since")
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise GithubError(422, "Validation Failed", call.doc) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


class GithubService:
    """Everything the stand-in knows; one instance per running server."""

    def __init__(self, settings: GithubSettings, base_url: str) -> None:
        self.settings = settings
        self.base_url = base_url.rstrip("/")
        self.public_url = (settings.public_base_url or self.base_url).rstrip("/")
        self.clock = Clock(settings.clock_start, settings.speed)
        self.render = Renderer(self.public_url)
        self.world = World(settings, self.render)
        self.access = Access(settings, self.clock.release_time())
        self.requests: Counter[tuple[str, str]] = Counter()
        self.rate_limited: Counter[str] = Counter()
        self.token_requests: Counter[str] = Counter()
        self.catch_up()

    def catch_up(self) -> int:
        """The clock's reading (whole seconds), with every action due by then applied."""
        now = int(self.clock.release_time())
        self.world.advance_to(now)
        return now

    # -- lookups ---------------------------------------------------------------------------

    def _repo(self, call: Call) -> Repository:
        if "repository_id" in call.path:
            raw = call.path["repository_id"]
            repo = self.world.repository_by_id(int(raw)) if raw.isdigit() else None
        else:
            repo = self.world.repository(call.path["owner"], call.path["repo"])
        if repo is None:
            raise GithubError(404, "Not Found", call.doc)
        return repo

    def _issue(self, repo: Repository, call: Call, key: str) -> Issue:
        raw = call.path[key]
        issue = repo.issues.get(int(raw)) if raw.isdigit() else None
        if issue is None:
            raise GithubError(404, "Not Found", call.doc)
        return issue

    # -- endpoints -------------------------------------------------------------------------

    def issues(self, call: Call) -> Listing:
        repo = self._repo(call)
        state = _choice(call, "state", ("open", "closed", "all"))
        sort = _choice(call, "sort", ("created", "updated", "comments"))
        direction = _choice(call, "direction", ("desc", "asc"))
        since = _since(call)
        chosen = [
            issue
            for issue in repo.issues.values()
            if (state == "all" or issue.state == state)
            and (since is None or issue.updated_at >= since)
        ]

        def key(issue: Issue) -> tuple[int, int]:
            if sort == "comments":
                return len(issue.comments), issue.number
            return (issue.updated_at if sort == "updated" else issue.created_at), issue.number

        chosen.sort(key=key, reverse=direction == "desc")
        return Listing(repo, "/issues", chosen, lambda issue: self.render.issue(repo, issue))

    def comments(self, call: Call) -> Listing:
        repo = self._repo(call)
        issue = self._issue(repo, call, "issue_number")
        since = _since(call)
        chosen = [c for c in issue.comments if since is None or c.updated_at >= since]
        return Listing(
            repo,
            f"/issues/{issue.number}/comments",
            sorted(chosen, key=lambda c: c.id),
            lambda comment: self.render.comment(repo, issue, comment),
        )

    def pull(self, call: Call) -> Resource:
        repo = self._repo(call)
        issue = self._issue(repo, call, "pull_number")
        if issue.pull is None:
            raise GithubError(404, "Not Found", call.doc)
        return Resource(self.render.pull_request(repo, issue), last_modified=issue.updated_at)

    def releases(self, call: Call) -> Listing:
        repo = self._repo(call)
        newest = sorted(repo.releases, key=lambda r: (r.created_at, r.id), reverse=True)
        return Listing(
            repo, "/releases", newest, lambda release: self.render.release(repo, release)
        )

    def events(self, call: Call) -> Listing:
        repo = self._repo(call)
        oldest = call.now - EVENT_DAYS * 86_400
        recent = [e for e in repo.events if e.created_at > oldest]
        recent.sort(key=lambda e: (e.created_at, e.id), reverse=True)
        return Listing(
            repo,
            "/events",
            recent,
            lambda event: self.render.event(repo, event),
            reachable=EVENTS_REACHABLE,
            headers={"x-poll-interval": str(POLL_INTERVAL_S)},
        )
