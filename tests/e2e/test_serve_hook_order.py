"""inc ingest serve fires hooks in the order their writes were made: an incident's "opened"
before its "mitigated", even when the first request's hook is slow and the second request is
answered by another worker meanwhile (found by a random-order run: the receiver saw them swapped)."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from tests.alertpayloads import dumps, firing_two, resolved_two
from tests.e2e import test_serve as served

SLOW_HOOK = "import sys, time; time.sleep(float(sys.argv[2])); open(sys.argv[1], 'a').write(sys.argv[3] + '\\n')"


def test_a_slow_opened_hook_still_fires_before_the_mitigated_one(repo: Path) -> None:
    log = repo.parent / "fired.txt"
    hooks = {"opened": ("0.8", "opened"), "mitigated": ("0", "mitigated")}
    text = "hooks:\n"
    for event, (delay, word) in hooks.items():
        argv = [sys.executable, "-c", SLOW_HOOK, str(log), delay, word]
        text += f"  {event}:\n    - run: {json.dumps(argv)}\n"
    config = repo / "incli.yaml"
    config.write_text(config.read_text() + text)
    served.CLOCK[0] = datetime(2025, 1, 15, 14, 30, 10, tzinfo=UTC)
    with served.running(repo) as (url, lines):
        assert served.post(url + "/alertmanager", dumps(firing_two()))[0] == 200
        served.CLOCK[0] = datetime(2025, 1, 15, 14, 45, tzinfo=UTC)
        assert served.post(url + "/alertmanager", dumps(resolved_two()))[0] == 200
    served.CLOCK[0] = datetime(2025, 1, 15, 14, 30, 10, tzinfo=UTC)
    assert log.read_text().split() == ["opened", "mitigated"], lines
