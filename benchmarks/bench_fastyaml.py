"""Per-file cost of the fast reader (storage/fastyaml.py) against PyYAML's C loader.

    python benchmarks/bench_fastyaml.py [--rounds 7]

For each shape of incident file, the median over ``--rounds`` rounds of the time per file of
``yaml.load(data, Loader=yaml.CSafeLoader)`` ("loop", the floor issue 14 measures cold runs
against), of ``yamlio.load`` (incli's PyYAML path) and of ``fastyaml.load``, in microseconds,
and the median of the rounds' ratios fast/loop (the readers take turns within a round). A
shape the fast reader gives up on says "fell back". The shapes are written by
``yamlio.dump``, as incli writes files, plus the example repository.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from incli.storage import fastyaml, yamlio  # noqa: E402

T = "2025-01-15T14:{:02d}:00+00:00"


def entry(minute: int, kind: str, text: str, by: str | None = "priya") -> dict[str, Any]:
    return {"at": T.format(minute), "kind": kind, "by": by, "text": text}


def base(title: str) -> dict[str, Any]:
    return {
        "schema": 1,
        "id": "INC-20250115-txm67",
        "title": title,
        "severity": "SEV2",
        "status": "resolved",
        "service": "checkout-api",
        "summary": "Checkout requests failed with 500s: every connection in the pool was in use.",
        "commander": "priya",
        "roles": {"comms": "marco"},
        "tags": ["database", "postgres"],
        "drill": False,
        "opened_at": T.format(30),
        "started_at": T.format(28),
        "detected_at": T.format(29),
        "acknowledged_at": T.format(32),
        "mitigated_at": T.format(40),
        "resolved_at": T.format(45),
    }


def simple() -> dict[str, Any]:
    doc = base("Database connection pool exhausted")
    doc["timeline"] = [
        entry(30, "opened", "Opened as SEV2: Database connection pool exhausted"),
        entry(32, "acknowledged", "Acknowledged"),
        entry(34, "note", "p99 latency on checkout-api at 12s; pgbouncer shows 0 free connections"),
        entry(40, "mitigated", "Mitigated: restarted the pool"),
        entry(45, "resolved", "Resolved"),
    ]
    return doc


def realistic() -> dict[str, Any]:
    """Postmortem, action items, multi-line notes, wrapped text and a source block."""
    doc = simple()
    doc["timeline"] += [
        entry(46, "note", "Checked the runbook:\n1. restart pgbouncer\n2. watch p99\n\n  - then the error rate\n"),
        entry(47, "update", "Checkout is failing for most customers. We are restarting the pool. " * 3),
        entry(48, "note", 'The report query said "timeout" at 14:31 # see the logs'),
        entry(49, "note", "Unicode and emoji: é ü 日本語 😀 and a tab\there"),
    ]
    doc["postmortem"] = {
        "state": "published",
        "created_at": T.format(50),
        "published_at": T.format(55),
        "authors": ["priya"],
        "reviewers": ["jonas"],
        "summary": "For 15 minutes checkout-api could not get a database connection:\n"
        "a long-running reporting query held connections in the shared pool.\n",
        "impact": "About 1,900 checkout attempts failed with HTTP 500 between 14:30 and 14:40 UTC; "
        "no orders were lost or charged twice.",
        "trigger": None,
        "detection": None,
        "resolution": "statement_timeout set for the reporting role",
        "root_causes": [
            "The reporting job shares the checkout pool and has no statement timeout, so one "
            "slow report held 40 connections for minutes."
        ],  # fmt: skip
        "contributing_factors": ["The pool saturation metric existed but had no alert."],
        "went_well": ["Acknowledged within 2 minutes."],
        "could_improve": ["We learned of the impact from customer reports."],
        "lucky": [],
        "lessons": ["Background jobs need their own connection budget."],
        "whys": [
            [
                {"question": f'Why did "step {n}" happen?', "answer": f"Because of step {n + 1}: reasons"}
                for n in range(4)
            ]
        ],
    }
    doc["actions"] = [
        {
            "id": f"ACT-{n}bm62",
            "title": "Alert when pool usage exceeds 80% for 2 minutes",
            "owner": "priya",
            "due": "2025-01-22",
            "priority": "P1",
            "status": "done" if n else "open",
            "created_at": T.format(50),
            "updated_at": T.format(51),
            "done_at": T.format(51) if n else None,
            "note": "alert live in production" if n else None,
        }
        for n in range(3)
    ]
    doc["source"] = {
        "kind": "alertmanager",
        "group_key": '{}/{severity=~"critical|warning"}:{alertname="DBConnectionPoolExhausted"}',
        "receiver": "incli",
        "fingerprints": ["a1b2c3d4e5f60718", "0f1e2d3c4b5a6978"],
        "firing": [],
        "external_url": "http://alertmanager:9093",
    }
    doc["assumed"] = ["detected_at"]
    return doc


def imported() -> dict[str, Any]:
    doc = simple()
    doc["severity"] = None
    doc["source"] = {
        "kind": "pagerduty",
        "id": "PAAA111",
        "url": "https://example.pagerduty.com/incidents/PAAA111",
        "number": 77,
        "imported_at": "2026-12-05T08:04:38.905989+00:00",
    }
    doc["assumed"] = ["started_at", "detected_at"]
    return doc


def long_timeline() -> dict[str, Any]:
    doc = realistic()
    doc["timeline"] = [copy.deepcopy(e) for e in doc["timeline"] * 10]
    return doc


def shapes() -> list[tuple[str, bytes]]:
    found = [
        ("simple (5 entries)", yamlio.dump(simple()).encode()),
        ("imported (source)", yamlio.dump(imported()).encode()),
        ("realistic (pm+actions+notes)", yamlio.dump(realistic()).encode()),
        ("long timeline (90 entries)", yamlio.dump(long_timeline()).encode()),
    ]
    examples = sorted((ROOT / "examples" / "acme" / "incidents").glob("*.yaml"))
    found.append(("examples/acme (all, per file)", b""))
    found.extend((f"  {p.name}", p.read_bytes()) for p in examples)
    return found


def timed(fn: Callable[[bytes], Any], blobs: list[bytes], repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        for blob in blobs:
            fn(blob)
    return (time.perf_counter() - start) / (repeat * len(blobs)) * 1e6


def measure(readers: list[Callable[[bytes], Any]], blobs: list[bytes], rounds: int) -> list[list[float]]:
    """Microseconds per file of each reader, ``rounds`` times, the readers interleaved within
    each round (so a change in the machine's load hits them alike)."""
    repeat = max(1, int(300_000 / max(1, sum(len(b) for b in blobs))))
    results: list[list[float]] = [[] for _ in readers]
    for _ in range(rounds):
        for n, reader in enumerate(readers):
            results[n].append(timed(reader, blobs, repeat))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    loop = lambda data: yaml.load(data, Loader=yaml.CSafeLoader)  # noqa: E731, S506 - the floor
    all_examples = [blob for name, blob in shapes() if name.startswith("  ")]
    print(f"{'shape':34} {'bytes':>6} {'loop µs':>9} {'yamlio µs':>10} {'fast µs':>9} {'fast/loop':>9}")
    for name, blob in shapes():
        blobs = all_examples if not blob else [blob]
        if any(fastyaml.load(b) is None for b in blobs):
            print(f"{name:34} fell back")
            continue
        assert all(fastyaml.load(b) == yamlio.load(b) for b in blobs)
        size = sum(len(b) for b in blobs) // len(blobs)
        floor, slow, fast = measure([loop, yamlio.load, fastyaml.load], blobs, args.rounds)
        ratio = statistics.median(f / lo for f, lo in zip(fast, floor, strict=True))
        print(
            f"{name:34} {size:>6} {statistics.median(floor):>9.1f} {statistics.median(slow):>10.1f}"
            f" {statistics.median(fast):>9.1f} {ratio:>9.2f}"
        )


if __name__ == "__main__":
    main()
