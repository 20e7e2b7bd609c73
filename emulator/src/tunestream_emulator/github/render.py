"""Ground-truth objects as the JSON objects api.github.com sends.

Shapes follow GitHub's OpenAPI description (github.com/github/rest-api-description,
``descriptions/api.github.com``): every field its schemas ``simple-user``, ``label``, ``issue``,
``issue-comment``, ``release``, ``repository``, ``pull-request``, ``pull-request-minimal``,
``actor`` and ``event`` mark required, and the optional ones a client of these endpoints meets.
API links are absolute under the stand-in's base; ``html_url`` links point at github.com, as
nothing here serves HTML.
"""

from __future__ import annotations

from urllib.parse import quote

from tunestream_emulator.github.model import (
    Comment,
    Event,
    Issue,
    Json,
    Label,
    Release,
    Repository,
    User,
    iso,
    node_id,
)

__all__ = ["Renderer"]

_WEB = "https://github.com"


def _optional_iso(epoch: int | None) -> str | None:
    return None if epoch is None else iso(epoch)


def _association(author: User) -> str:
    """How the author is associated with the repository: a stable third are members."""
    return "MEMBER" if author.id % 3 == 0 else "CONTRIBUTOR"


class Renderer:
    """Builds JSON objects with API links under ``base_url``."""

    def __init__(self, base_url: str) -> None:
        self.api = base_url.rstrip("/")

    def repo_url(self, repo: Repository) -> str:
        return f"{self.api}/repos/{repo.full_name}"

    def _reactions(self, url: str) -> Json:
        counts = dict.fromkeys(
            ("total_count", "+1", "-1", "laugh", "hooray", "confused", "heart", "rocket", "eyes"),
            0,
        )
        return {"url": url, **counts}

    def user(self, who: User) -> Json:
        url = f"{self.api}/users/{who.login}"
        return {
            "login": who.login,
            "id": who.id,
            "node_id": node_id(who.kind, who.id),
            "avatar_url": f"https://avatars.githubusercontent.com/u/{who.id}?v=4",
            "gravatar_id": "",
            "url": url,
            "html_url": f"{_WEB}/{who.login}",
            "followers_url": f"{url}/followers",
            "following_url": f"{url}/following{{/other_user}}",
            "gists_url": f"{url}/gists{{/gist_id}}",
            "starred_url": f"{url}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{url}/subscriptions",
            "organizations_url": f"{url}/orgs",
            "repos_url": f"{url}/repos",
            "events_url": f"{url}/events{{/privacy}}",
            "received_events_url": f"{url}/received_events",
            "type": who.kind,
            "user_view_type": "public",
            "site_admin": False,
        }

    def actor(self, who: User) -> Json:
        return {
            "id": who.id,
            "login": who.login,
            "display_login": who.login,
            "gravatar_id": "",
            "url": f"{self.api}/{'orgs' if who.kind == 'Organization' else 'users'}/{who.login}",
            "avatar_url": f"https://avatars.githubusercontent.com/u/{who.id}?",
        }

    def label(self, repo: Repository, label: Label) -> Json:
        return {
            "id": label.id,
            "node_id": node_id("Label", label.id),
            "url": f"{self.repo_url(repo)}/labels/{quote(label.name)}",
            "name": label.name,
            "color": label.color,
            "default": label.default,
            "description": label.description,
        }

    def issue(self, repo: Repository, issue: Issue) -> Json:
        base = self.repo_url(repo)
        url = f"{base}/issues/{issue.number}"
        html = f"{_WEB}/{repo.full_name}/{'pull' if issue.pull else 'issues'}/{issue.number}"
        body: Json = {
            "url": url,
            "repository_url": base,
            "labels_url": f"{url}/labels{{/name}}",
            "comments_url": f"{url}/comments",
            "events_url": f"{url}/events",
            "html_url": html,
            "id": issue.id,
            "node_id": node_id("Issue", issue.id),
            "number": issue.number,
            "title": issue.title,
            "user": self.user(issue.user),
            "labels": [self.label(repo, label) for label in issue.labels],
            "state": issue.state,
            "locked": False,
            "assignee": None,
            "assignees": [],
            "milestone": None,
            "comments": len(issue.comments),
            "created_at": iso(issue.created_at),
            "updated_at": iso(issue.updated_at),
            "closed_at": _optional_iso(issue.closed_at),
            "author_association": _association(issue.user),
            "type": None,
            "active_lock_reason": None,
            "sub_issues_summary": {"total": 0, "completed": 0, "percent_completed": 0},
            "body": issue.body,
            "closed_by": None if issue.closed_by is None else self.user(issue.closed_by),
            "reactions": self._reactions(f"{url}/reactions"),
            "timeline_url": f"{url}/timeline",
            "performed_via_github_app": None,
            "state_reason": issue.state_reason,
        }
        if issue.pull is not None:
            body["draft"] = issue.pull.draft
            body["pull_request"] = {
                "url": f"{base}/pulls/{issue.number}",
                "html_url": html,
                "diff_url": f"{html}.diff",
                "patch_url": f"{html}.patch",
                "merged_at": _optional_iso(issue.pull.merged_at),
            }
        return body

    def comment(self, repo: Repository, issue: Issue, comment: Comment) -> Json:
        base = self.repo_url(repo)
        page = f"{_WEB}/{repo.full_name}/{'pull' if issue.pull else 'issues'}/{issue.number}"
        url = f"{base}/issues/comments/{comment.id}"
        return {
            "url": url,
            "html_url": f"{page}#issuecomment-{comment.id}",
            "issue_url": f"{base}/issues/{issue.number}",
            "id": comment.id,
            "node_id": node_id("IssueComment", comment.id),
            "user": self.user(comment.user),
            "created_at": iso(comment.created_at),
            "updated_at": iso(comment.updated_at),
            "author_association": _association(comment.user),
            "body": comment.body,
            "reactions": self._reactions(f"{url}/reactions"),
            "performed_via_github_app": None,
        }

    def release(self, repo: Repository, release: Release) -> Json:
        base = self.repo_url(repo)
        url = f"{base}/releases/{release.id}"
        return {
            "url": url,
            "assets_url": f"{url}/assets",
            "upload_url": f"https://uploads.github.com/repos/{repo.full_name}/releases/"
            f"{release.id}/assets{{?name,label}}",
            "html_url": f"{_WEB}/{repo.full_name}/releases/tag/{release.tag_name}",
            "id": release.id,
            "author": self.user(release.author),
            "node_id": node_id("Release", release.id),
            "tag_name": release.tag_name,
            "target_commitish": release.target_commitish,
            "name": release.name,
            "draft": False,
            "immutable": False,
            "prerelease": release.prerelease,
            "created_at": iso(release.created_at),
            "updated_at": iso(release.published_at),
            "published_at": iso(release.published_at),
            "assets": [],
            "tarball_url": f"{base}/tarball/{release.tag_name}",
            "zipball_url": f"{base}/zipball/{release.tag_name}",
            "body": release.body,
        }

    def repository(self, repo: Repository) -> Json:
        base = self.repo_url(repo)
        web = f"{_WEB}/{repo.full_name}"
        open_issues = sum(issue.state == "open" for issue in repo.issues.values())
        touched = repo.events[-1].created_at if repo.events else repo.created_at
        templates = {
            "keys_url": "/keys{/key_id}",
            "collaborators_url": "/collaborators{/collaborator}",
            "issue_events_url": "/issues/events{/number}",
            "assignees_url": "/assignees{/user}",
            "branches_url": "/branches{/branch}",
            "blobs_url": "/git/blobs{/sha}",
            "git_tags_url": "/git/tags{/sha}",
            "git_refs_url": "/git/refs{/sha}",
            "trees_url": "/git/trees{/sha}",
            "statuses_url": "/statuses/{sha}",
            "commits_url": "/commits{/sha}",
            "git_commits_url": "/git/commits{/sha}",
            "comments_url": "/comments{/number}",
            "issue_comment_url": "/issues/comments{/number}",
            "contents_url": "/contents/{+path}",
            "compare_url": "/compare/{base}...{head}",
            "archive_url": "/{archive_format}{/ref}",
            "issues_url": "/issues{/number}",
            "pulls_url": "/pulls{/number}",
            "milestones_url": "/milestones{/number}",
            "notifications_url": "/notifications{?since,all,participating}",
            "labels_url": "/labels{/name}",
            "releases_url": "/releases{/id}",
        }
        plain = (
            "forks", "teams", "hooks", "events", "tags", "languages", "stargazers",
            "contributors", "subscribers", "subscription", "merges", "downloads", "deployments",
        )  # fmt: skip
        return {
            "id": repo.id,
            "node_id": node_id("Repository", repo.id),
            "name": repo.name,
            "full_name": repo.full_name,
            "private": False,
            "owner": self.user(repo.owner),
            "html_url": web,
            "description": f"The {repo.name} repository of {repo.owner.login}",
            "fork": False,
            "url": base,
            **{f"{name}_url": f"{base}/{name}" for name in plain},
            **{key: base + path for key, path in templates.items()},
            "created_at": iso(repo.created_at),
            "updated_at": iso(touched),
            "pushed_at": iso(touched),
            "git_url": f"git://github.com/{repo.full_name}.git",
            "ssh_url": f"git@github.com:{repo.full_name}.git",
            "clone_url": f"{web}.git",
            "svn_url": web,
            "homepage": None,
            "size": 2048 + 16 * len(repo.issues),
            "stargazers_count": 0,
            "watchers_count": 0,
            "language": "Python",
            "has_issues": True,
            "has_projects": True,
            "has_downloads": True,
            "has_wiki": True,
            "has_pages": False,
            "has_discussions": False,
            "forks_count": 0,
            "mirror_url": None,
            "archived": False,
            "disabled": False,
            "open_issues_count": open_issues,
            "license": None,
            "allow_forking": True,
            "is_template": False,
            "web_commit_signoff_required": False,
            "topics": [],
            "visibility": "public",
            "forks": 0,
            "open_issues": open_issues,
            "watchers": 0,
            "default_branch": "main",
        }

    def pull_request(self, repo: Repository, issue: Issue) -> Json:
        pull = issue.pull
        if pull is None:
            raise ValueError(f"#{issue.number} is not a pull request")
        base = self.repo_url(repo)
        url = f"{base}/pulls/{issue.number}"
        html = f"{_WEB}/{repo.full_name}/pull/{issue.number}"
        issue_url = f"{base}/issues/{issue.number}"
        repository, owner = self.repository(repo), self.user(repo.owner)
        links = {
            "self": url,
            "html": html,
            "issue": issue_url,
            "comments": f"{issue_url}/comments",
            "review_comments": f"{url}/comments",
            "review_comment": f"{base}/pulls/comments{{/number}}",
            "commits": f"{url}/commits",
            "statuses": f"{base}/statuses/{pull.head_sha}",
        }
        is_open = issue.state == "open"
        return {
            "url": url,
            "id": pull.id,
            "node_id": node_id("PullRequest", pull.id),
            "html_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "issue_url": issue_url,
            "number": issue.number,
            "state": issue.state,
            "locked": False,
            "title": issue.title,
            "user": self.user(issue.user),
            "body": issue.body,
            "created_at": iso(issue.created_at),
            "updated_at": iso(issue.updated_at),
            "closed_at": _optional_iso(issue.closed_at),
            "merged_at": _optional_iso(pull.merged_at),
            "merge_commit_sha": pull.merge_commit_sha,
            "assignee": None,
            "assignees": [],
            "requested_reviewers": [],
            "requested_teams": [],
            "labels": [self.label(repo, label) for label in issue.labels],
            "milestone": None,
            "draft": pull.draft,
            "commits_url": links["commits"],
            "review_comments_url": links["review_comments"],
            "review_comment_url": links["review_comment"],
            "comments_url": links["comments"],
            "statuses_url": links["statuses"],
            "head": {
                "label": f"{repo.owner.login}:{pull.head_ref}",
                "ref": pull.head_ref,
                "sha": pull.head_sha,
                "user": owner,
                "repo": repository,
            },
            "base": {
                "label": f"{repo.owner.login}:main",
                "ref": "main",
                "sha": pull.base_sha,
                "user": owner,
                "repo": repository,
            },
            "_links": {name: {"href": href} for name, href in links.items()},
            "author_association": _association(issue.user),
            "auto_merge": None,
            "active_lock_reason": None,
            "merged": pull.merged_at is not None,
            "mergeable": True if is_open else None,
            "rebaseable": True if is_open else None,
            "mergeable_state": "clean" if is_open else "unknown",
            "merged_by": None if pull.merged_by is None else self.user(pull.merged_by),
            "comments": len(issue.comments),
            "review_comments": 0,
            "maintainer_can_modify": False,
            "commits": pull.commits,
            "additions": pull.additions,
            "deletions": pull.deletions,
            "changed_files": pull.changed_files,
        }

    def pull_request_minimal(self, repo: Repository, issue: Issue) -> Json:
        """What a PullRequestEvent's payload carries of the pull request."""
        pull = issue.pull
        if pull is None:
            raise ValueError(f"#{issue.number} is not a pull request")
        ref = {"id": repo.id, "url": self.repo_url(repo), "name": repo.name}
        return {
            "id": pull.id,
            "number": issue.number,
            "url": f"{self.repo_url(repo)}/pulls/{issue.number}",
            "head": {"ref": pull.head_ref, "sha": pull.head_sha, "repo": ref},
            "base": {"ref": "main", "sha": pull.base_sha, "repo": ref},
        }

    def event(self, repo: Repository, event: Event) -> Json:
        body: Json = {
            "id": str(event.id),
            "type": event.type,
            "actor": self.actor(event.actor),
            "repo": {"id": repo.id, "name": repo.full_name, "url": self.repo_url(repo)},
            "payload": event.payload,
            "public": True,
            "created_at": iso(event.created_at),
        }
        if repo.owner.kind == "Organization":
            body["org"] = self.actor(repo.owner)
        return body
