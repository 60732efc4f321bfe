"""How long ``inc report`` takes on a generated repository (target: 10,000 incidents in under a minute).

    python benchmarks/bench_report.py [N] [--keep DIR]

Generates N incidents (about 10 timeline entries each, spread over several
years, every severity, a quarter with a postmortem and action items), then runs
the installed ``inc report`` in a subprocess and prints the wall time, with the
time to read every file's bytes and a bare ``inc --version`` as baselines.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from incli.domain.ids import ALPHABET, new_id
from incli.storage import yamlio
from incli.storage.repo import init_repository

SERVICES = ["checkout-api", "search", "payments", "auth", "cdn", "notifications", "data-pipeline", "status-page"]
PEOPLE = ["priya", "marco", "alice", "bob", "chen", "dana", "eli"]


def iso(moment: datetime) -> str:
    return moment.isoformat()


def incident(rng: random.Random, start: datetime) -> dict[str, object]:
    severity = rng.choices(["SEV1", "SEV2", "SEV3", "SEV4"], weights=[1, 3, 6, 4])[0]
    detect = timedelta(minutes=rng.randint(0, 20))
    ack = detect + timedelta(minutes=rng.randint(1, 30))
    resolve_minutes = int(rng.lognormvariate(4.3, 1.1)) + 5
    mitigate = ack + timedelta(minutes=max(1, resolve_minutes // 2))
    resolve = max(mitigate, ack) + timedelta(minutes=resolve_minutes)
    ident = new_id(start)
    by = rng.choice(PEOPLE)
    title = f"{rng.choice(SERVICES)} {rng.choice(['latency', 'errors', 'timeouts', 'outage'])} #{rng.randint(1, 9999)}"
    timeline = [
        {"at": iso(start + detect), "kind": "opened", "by": by, "text": f"Opened as {severity}: {title}"},
        {"at": iso(start + ack), "kind": "acknowledged", "by": by, "text": "Acknowledged"},
    ]
    for step in range(6):
        at = start + ack + (mitigate - ack) * (step + 1) / 7
        kind = "update" if step % 3 == 2 else "note"
        timeline.append({"at": iso(at), "kind": kind, "by": by, "text": f"Step {step}: checked dashboards"})
    timeline.append({"at": iso(start + mitigate), "kind": "mitigated", "by": by, "text": "Mitigated: rolled back"})
    timeline.append({"at": iso(start + resolve), "kind": "resolved", "by": by, "text": "Resolved"})
    data: dict[str, object] = {
        "schema": 1,
        "id": ident,
        "title": title,
        "severity": severity,
        "status": "resolved",
        "service": rng.choice(SERVICES),
        "summary": "Customers saw errors.",
        "commander": by,
        "roles": {},
        "tags": [],
        "drill": False,
        "opened_at": iso(start + detect),
        "started_at": iso(start),
        "detected_at": iso(start + detect),
        "acknowledged_at": iso(start + ack),
        "mitigated_at": iso(start + mitigate),
        "resolved_at": iso(start + resolve),
        "timeline": timeline,
    }
    if rng.random() < 0.25:
        data["postmortem"] = {
            "state": rng.choice(["draft", "in-review", "reviewed", "published"]),
            "summary": "The pool ran dry.",
            "root_causes": ["No statement timeout"],
        }
        data["actions"] = [
            {
                "id": "ACT-" + "".join(rng.choice(ALPHABET) for _ in range(5)),
                "title": "Add an alert",
                "owner": rng.choice(PEOPLE),
                "due": (start + timedelta(days=14)).date().isoformat(),
                "status": rng.choice(["open", "done"]),
            }
        ]
    return data


def generate(root: Path, count: int, seed: int = 7) -> None:
    init_repository(root)
    rng = random.Random(seed)
    first = datetime(2021, 1, 1, tzinfo=UTC)
    span = (datetime(2025, 6, 1, tzinfo=UTC) - first).total_seconds()
    folder = root / "incidents"
    for _ in range(count):
        start = first + timedelta(seconds=rng.randrange(int(span)))
        data = incident(rng, start.replace(microsecond=0))
        (folder / f"{data['id']}.yaml").write_text(yamlio.dump(data), encoding="utf-8")


def timed(args: list[str]) -> float:
    began = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", nargs="?", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, help="generate into DIR and keep it")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="inc-bench-report-") as scratch:
        root = options.keep or Path(scratch) / "repo"
        began = time.perf_counter()
        generate(root, options.count)
        print(f"generated {options.count} incidents in {time.perf_counter() - began:.1f}s at {root}")
        inc = [sys.executable, "-m", "incli"]
        began = time.perf_counter()
        for path in (root / "incidents").glob("*.yaml"):
            path.read_bytes()
        read = time.perf_counter() - began
        bare = timed([*inc, "--version"])
        out = Path(scratch) / "site"
        seconds = timed([*inc, "--dir", str(root), "report", "-o", str(out)])
        again = timed([*inc, "--dir", str(root), "report", "-o", str(out)])
        pages = sum(1 for _ in out.rglob("*.html"))
        print(f"baseline: read every file's bytes {read:.2f}s; inc --version {bare:.2f}s")
        print(f"inc report: {seconds:.1f}s ({pages} pages); again over the earlier report: {again:.1f}s")
        print(f"target: under 60s for 10,000 incidents -> {'OK' if seconds < 60 else 'TOO SLOW'}")


if __name__ == "__main__":
    main()
