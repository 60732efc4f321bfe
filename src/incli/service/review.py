"""``inc postmortem pr``: the postmortem up for review as a pull request: a branch holding the
incident file and the rendered postmortem, a body rendered from it, reviewers from the service's
owners (catalog.yaml). Through the ``gh`` CLI when it is installed; otherwise the branch and the
body file, for the forge's own flow."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from incli.errors import Problems, StorageError
from incli.integrations.gh import create_pull_request, installed
from incli.storage import gitinfo
from incli.storage.atomic import atomic_write

FOLDER = "postmortems"  # where the branch keeps the rendered postmortem: postmortems/ID.md


@dataclass
class PullRequest:
    """A postmortem pull request: its branch, commit and body."""

    branch: str
    commit: str
    body_file: Path
    title: str
    reviewers: list[str] = field(default_factory=list)
    url: str | None = None  # from gh
    gh: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "branch": self.branch,
            "commit": self.commit,
            "body_file": str(self.body_file),
            "title": self.title,
            "reviewers": self.reviewers,
            "url": self.url,
            "gh": self.gh,
        }


def postmortem_pr(svc: Any, query: str, text: str, *, use_gh: bool = True) -> PullRequest:
    """``text``: the rendered postmortem (Markdown)."""
    from incli.service.catalog import catalog_of

    incident = svc.get(query)
    top = gitinfo.toplevel(svc.repo.root)
    if top is None:
        raise Problems(f"{svc.repo.root} is not in a git repository; a pull request needs one (git init)")
    path = svc.store.path_for(incident.id)
    relative = path.resolve().relative_to(top.resolve()).as_posix()
    prefix = svc.repo.root.resolve().relative_to(top.resolve()).as_posix()
    document = f"{FOLDER}/{incident.id}.md" if prefix == "." else f"{prefix}/{FOLDER}/{incident.id}.md"
    branch = f"postmortem/{incident.id}"
    title = f"Postmortem: {incident.title}"[:200]
    try:
        commit = gitinfo.commit_to_branch(
            top, branch, {relative: path.read_bytes(), document: text.encode("utf-8")}, f"{title} ({incident.id})"
        )
    except OSError as exc:
        raise StorageError(f"cannot make the branch {branch}: {exc}") from None
    entry = catalog_of(svc).get(incident.service)
    me = (svc.actor(None) or "").casefold()
    reviewers = [o for o in (entry.owners if entry else ()) if o.casefold() != me]
    body = svc.repo.ensure_state_dir() / "pr" / f"{incident.id}.md"
    body.parent.mkdir(exist_ok=True)
    intro = f"The postmortem of {incident.id} for review: `{document}` on this branch.\n\n"
    atomic_write(body, (intro + text).encode("utf-8"))
    result = PullRequest(branch, commit, body, title, reviewers)
    gh = installed() if use_gh else None
    if gh is None:
        return result
    failure = gitinfo.run_step(top, ["push", "--set-upstream", "origin", f"{branch}:{branch}"])
    if failure:
        raise StorageError(f"branch {branch} made, but pushing it failed: {failure}")
    ok, said = create_pull_request(gh, top, head=branch, title=title, body_file=body, reviewers=reviewers)
    if not ok:
        raise StorageError(f"branch {branch} pushed, but gh pr create failed: {said}")
    result.gh = True
    result.url = said or None
    return result
