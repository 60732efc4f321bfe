"""Notification text from templates: templates/notify/EVENT.txt.j2 (or default.txt.j2) in the
repository overrides the built-in one-line headline; incident text is data, never template code."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import configure_hooks, inc
from tests.localhttp import receiver

AT = "2025-01-15T14:30:00+00:00"


def template(repo: Path, name: str, text: str) -> Path:
    folder = repo / "templates" / "notify"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def test_the_repository_template_words_the_message_and_title_text_stays_data(repo: Path) -> None:
    template(repo, "opened.txt.j2", "PAGE {{ severity }} {{ id }}: {{ title }} ({{ service or 'no service' }})\n")
    with receiver() as got:
        configure_hooks(
            repo,
            {
                "opened": [{"webhook": got.url, "format": "discord"}],
                "note": [{"webhook": got.url, "format": "discord"}],
            },
        )
        ident = inc("open", "{{ 7*7 }} {% raw %}x", "-s", "SEV2", "--at", AT, root=repo).stdout.strip()
        inc("note", "checking {{ config }}", root=repo)
    opened, note = got.bodies()
    assert opened["content"] == f"PAGE SEV2 {ident}: {{{{ 7*7 }}}} {{% raw %}}x (no service)"
    # No note template and no default.txt.j2: the built-in headline.
    assert note["content"] == f"[SEV2] {ident} note: {{{{ 7*7 }}}} {{% raw %}}x. checking {{{{ config }}}}"


def test_default_template_covers_every_event(repo: Path) -> None:
    template(repo, "default.txt.j2", "{{ phrase | upper }}: {{ headline }}")
    with receiver() as got:
        configure_hooks(repo, {"acknowledged": [{"webhook": got.url, "format": "mattermost"}]})
        inc("open", "Queue backlog", "-s", "SEV3", "--at", AT, root=repo)
        inc("ack", root=repo)
    (body,) = got.bodies()
    assert body["text"].startswith("ACKNOWLEDGED: [SEV3] INC-")


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("{{ id ", "broken template notify/opened.txt.j2 (repository) line 1"),
        ("{{ nothing_like_this }}", "'nothing_like_this' is undefined"),
        ("{{ ''.__class__.__mro__ }}", "unsafe"),  # the sandbox refuses it
    ],
)
def test_a_broken_template_is_one_warning_and_the_built_in_message_is_sent(repo: Path, text: str, why: str) -> None:
    template(repo, "opened.txt.j2", text)
    with receiver() as got:
        configure_hooks(repo, {"opened": [{"webhook": got.url, "format": "slack"}]})
        ran = inc("open", "Disk full", "-s", "SEV3", "--at", AT, root=repo)
    (body,) = got.bodies()
    assert body["text"].startswith("[SEV3] INC-") and body["text"].endswith("opened: Disk full")
    (warning,) = [line for line in ran.err_lines if "template" in line]
    assert why in warning and "built-in message is sent instead" in warning


def test_a_template_linked_outside_the_repository_is_never_read(repo: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    (repo / "templates" / "notify").mkdir(parents=True)
    os.symlink(secret, repo / "templates" / "notify" / "opened.txt.j2")
    with receiver() as got:
        configure_hooks(repo, {"opened": [{"webhook": got.url, "format": "slack"}]})
        ran = inc("open", "Disk full", "-s", "SEV3", "--at", AT, root=repo)
    (body,) = got.bodies()
    assert "TOP-SECRET" not in body["text"] and body["text"].endswith("opened: Disk full")
    assert any("outside" in line for line in ran.err_lines)


def test_an_oversized_template_is_refused(repo: Path) -> None:
    template(repo, "opened.txt.j2", "x" * (64 * 1024 + 1))
    with receiver() as got:
        configure_hooks(repo, {"opened": [{"webhook": got.url, "format": "slack"}]})
        ran = inc("open", "Disk full", "-s", "SEV3", "--at", AT, root=repo)
    assert got.bodies()[0]["text"].endswith("opened: Disk full")
    assert any("at most 65536" in line for line in ran.err_lines)


def test_the_pagerduty_summary_is_the_template_s_first_line(repo: Path) -> None:
    template(repo, "opened.txt.j2", "{{ service | upper }} paging: {{ title }}\nRunbook: see the wiki\n")
    with receiver(status=202) as got:
        configure_hooks(repo, {"opened": [{"webhook": got.url, "format": "pagerduty", "routing_key": "K"}]})
        inc("open", "Card declines", "-s", "SEV2", "--service", "payments", "--at", AT, root=repo)
    (event,) = got.bodies()
    assert event["payload"]["summary"] == "PAYMENTS paging: Card declines"
    assert event["payload"]["custom_details"]["message"].endswith("Runbook: see the wiki")
