"""A failing notifier is one warning; the delivery is kept in .incli/pending-hooks.json and
inc remind retries it on its next run, to the same hook only, and never twice once delivered."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import configure_hooks, inc
from tests.localhttp import receiver

AT = "2025-01-15T14:30:00+00:00"


def pending(repo: Path) -> list[dict]:
    path = repo / ".incli" / "pending-hooks.json"
    return json.loads(path.read_text())["pending"] if path.exists() else []


def test_a_failed_delivery_is_retried_by_inc_remind_once(repo: Path) -> None:
    with receiver(status=503) as got:
        configure_hooks(repo, {"opened": [{"webhook": got.url, "format": "teams"}, {"webhook": got.url + "/json"}]})
        ran = inc("open", "Checkout down", "-s", "SEV1", "--at", AT, root=repo)
        ident = ran.stdout.strip()
        warnings = [line for line in ran.err_lines if "failed" in line]
        assert len(warnings) == 2 and all("HTTP 503" in w and "inc remind retries it" in w for w in warnings)
        assert [p["event"] for p in pending(repo)] == ["opened", "opened"]
        assert inc("remind", "--dry-run", root=repo).stderr.count("would retry 2 failed hook deliveries") == 1
        assert len(got.requests) == 2  # a dry run sends nothing

        got.status = 200
        got.requests.clear()
        configure_hooks(repo, {"opened": [{"webhook": got.url, "format": "teams"}]})  # the json hook is gone
        first = inc("remind", root=repo)
        again = inc("remind", root=repo)
    (body,) = got.bodies()
    assert body["attachments"][0]["content"]["body"][0]["text"] == "Checkout down"
    assert f"retried opened on {ident} to hooks.opened[0]" in first.stderr and "delivered" in first.stderr
    assert "dropped: the hook is no longer configured" in first.stderr
    assert "retried" not in again.stderr
    assert pending(repo) == []


def test_a_delivery_failing_again_is_kept_with_its_attempts(repo: Path) -> None:
    with receiver(status=500) as down:
        configure_hooks(repo, {"resolved": [{"webhook": down.url, "format": "slack"}]})
        inc("open", "Disk full", "-s", "SEV3", "--at", AT, root=repo)
        inc("resolve", "--at", "2025-01-15T15:00:00+00:00", root=repo)
        ran = inc("remind", root=repo)
    (kept,) = pending(repo)
    assert kept["attempts"] == 2 and kept["detail"] == "HTTP 500 Internal Server Error"
    assert "failed again (HTTP 500 Internal Server Error); kept for the next run" in ran.stderr
    assert len(down.requests) == 2


def test_kept_deliveries_are_bounded(repo: Path) -> None:
    configure_hooks(repo, {"note": [{"webhook": "http://127.0.0.1:9/nothing-listens"}]})
    inc("open", "Disk full", "-s", "SEV3", "--at", AT, root=repo)
    path = repo / ".incli" / "pending-hooks.json"
    inc("note", "first", root=repo)
    (entry,) = pending(repo)
    path.write_text(json.dumps({"pending": [{**entry, "id": f"{i:016x}"} for i in range(100)]}))
    ran = inc("note", "one more", root=repo)
    kept = pending(repo)
    assert len(kept) == 100 and kept[-1]["headline"].endswith("one more")
    assert "1 older failed deliveries dropped" in ran.stderr


def test_a_kept_delivery_names_its_hook_by_what_it_delivers_to(repo: Path) -> None:
    """The fingerprint kept in pending-hooks.json is what ties a retry to the same hook, across runs
    and versions: its text is part of the file's format."""
    smtp = {"host": "127.0.0.1", "port": 9, "security": "none", "from": "incli@example.com"}  # nothing listens
    configure_hooks(
        repo,
        {
            "opened": [
                {"run": ["sh", "-c", "exit 3", "x y"]},
                {"email": ["a@example.com", "b@example.com"], "smtp": smtp},
            ]
        },
    )
    ran = inc("open", "Checkout down", "-s", "SEV1", "--at", AT, root=repo)
    assert "hook hooks.opened[1] (email a@example.com, b@example.com) for opened on" in ran.stderr
    fingerprints = [p["fingerprint"] for p in pending(repo)]
    assert fingerprints == [
        "run\x1fsh\x1f-c\x1fexit 3\x1fx y",
        "email\x1fa@example.com\x1fb@example.com\x1fSmtp(host='127.0.0.1', port=9, security='none', "
        "sender='incli@example.com', username_env='INC_SMTP_USERNAME', password_env='INC_SMTP_PASSWORD')",
    ]
