"""How long ``inc report`` takes and how much memory, first and after one incident changed (issue 14).

    python benchmarks/bench_report.py [--sizes 10000,100000] [--rounds 5] [--large-rounds 1] [--keep DIR]

For each size N it generates N incidents (about 10 timeline entries each, spread over several
years, every severity, a quarter with a postmortem and action items), reads them once with
``inc list --json`` (so the derived index is built, as on any repository in use), then runs the
installed ``inc report`` in subprocesses:

- first build: into a folder that does not exist yet (every page rendered);
- rebuild: after ``inc note`` changed one incident (a different one each round), over the report
  of the run before: that incident's page and the listings are written, the rest reused;
- peak RSS of each (``ru_maxrss`` of the process, what ``/usr/bin/time -v`` calls "Maximum resident
  set size").

Each figure is the median of the rounds (``--rounds``, or ``--large-rounds`` above 20,000
incidents), printed next to its target and with the machine's load average when it was taken.
Targets: at 10,000 a first build <= 10 s and a rebuild <= 2 s; at 100,000 < 1 GB.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
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
GB = 1024**3
# size -> (first build seconds, rebuild seconds, peak RSS bytes); None: no target at that size
TARGETS: dict[int, tuple[float | None, float | None, int | None]] = {
    10_000: (10.0, 2.0, None),
    100_000: (None, None, GB),
}
LARGE = 20_000


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


def generate(root: Path, count: int, seed: int = 7) -> list[str]:
    """The repository at ``root`` with ``count`` incidents; their ids."""
    init_repository(root)
    rng = random.Random(seed)
    first = datetime(2021, 1, 1, tzinfo=UTC)
    span = (datetime(2025, 6, 1, tzinfo=UTC) - first).total_seconds()
    folder = root / "incidents"
    ids = []
    for _ in range(count):
        start = first + timedelta(seconds=rng.randrange(int(span)))
        data = incident(rng, start.replace(microsecond=0))
        (folder / f"{data['id']}.yaml").write_text(yamlio.dump(data), encoding="utf-8")
        ids.append(str(data["id"]))
    return ids


def run(args: list[str]) -> tuple[float, int, str, float]:
    """Wall seconds, peak RSS in bytes (the process's ru_maxrss), stderr and CPU seconds (user and
    system, with the processes it waited for) of one command."""
    began = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=err)
        _pid, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - began
        child.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({child.returncode}):\n{text}")
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    return seconds, usage.ru_maxrss * scale, text, usage.ru_utime + usage.ru_stime


def load() -> str:
    one, five, _fifteen = os.getloadavg()
    return f"load {one:.2f}/{five:.2f} on {os.cpu_count()} cores"


def mark(value: float, target: float | None, unit: str = "s", below: bool = False) -> str:
    if target is None:
        return "(no target at this size)"
    ok = value < target if below else value <= target
    return f"target {'<' if below else '<='} {target:g} {unit}: {'OK' if ok else 'MISSED'}"


def measure(count: int, rounds: int, scratch: Path, keep: Path | None) -> None:
    root = (keep / f"repo-{count}") if keep else scratch / f"repo-{count}"
    began = time.perf_counter()
    ids = generate(root, count)
    print(f"N={count:,}: generated in {time.perf_counter() - began:.1f}s at {root}", flush=True)
    inc = [sys.executable, "-m", "incli", "--dir", str(root)]
    seconds, rss, _err, _cpu = run([*inc, "list", "--json"])
    print(f"  index built by inc list --json: {seconds:.1f}s, {rss / 2**20:.0f} MB", flush=True)
    read_began = time.perf_counter()
    for path in (root / "incidents").glob("*.yaml"):
        path.read_bytes()
    floor = time.perf_counter() - read_began
    bare, _rss, _err, _cpu = run([sys.executable, "-m", "incli", "--version"])
    print(f"  baselines: read every file's bytes {floor:.2f}s; inc --version {bare:.2f}s", flush=True)

    first_times, first_rss, first_cpu, loads_first = [], [], [], []
    again_times, again_rss, again_cpu, loads_again, reused = [], [], [], [], []
    rng = random.Random(count)
    out = scratch / f"site-{count}"
    for number in range(rounds):
        shutil.rmtree(out, ignore_errors=True)
        loads_first.append(load())
        seconds, rss, _err, cpu = run([*inc, "report", "-o", str(out)])
        first_times.append(seconds)
        first_rss.append(rss)
        first_cpu.append(cpu)
        changed = rng.choice(ids)
        run([*inc, "note", changed, f"bench note {number}"])
        loads_again.append(load())
        seconds, rss, err, cpu = run([*inc, "report", "-o", str(out)])
        again_times.append(seconds)
        again_rss.append(rss)
        again_cpu.append(cpu)
        found = re.search(r"\((\d+) unchanged from the earlier report\)", err)
        reused.append(found.group(1) if found else "0")
        print(
            f"  round {number + 1}: first {first_times[-1]:.2f}s (CPU {first_cpu[-1]:.2f}s) "
            f"{first_rss[-1] / 2**20:.0f} MB ({loads_first[-1]}); rebuild {again_times[-1]:.2f}s "
            f"(CPU {again_cpu[-1]:.2f}s) {again_rss[-1] / 2**20:.0f} MB, {reused[-1]} pages reused ({loads_again[-1]})",
            flush=True,
        )
    first_target, again_target, rss_target = TARGETS.get(count, (None, None, None))
    first, again = statistics.median(first_times), statistics.median(again_times)
    peak = max(first_rss + again_rss)
    cpu_first, cpu_again = statistics.median(first_cpu), statistics.median(again_cpu)
    print(f"  first build:  {first:6.2f} s  median of {rounds}  {mark(first, first_target)}  (CPU {cpu_first:.2f} s)")
    print(
        f"  rebuild:      {again:6.2f} s  median of {rounds}  {mark(again, again_target)}  "
        f"(CPU {cpu_again:.2f} s; one incident changed)"
    )
    limit = rss_target / GB if rss_target else None
    print(f"  peak RSS:     {peak / 2**20:6.0f} MB  {mark(peak / GB, limit, 'GB', below=True)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000", help="comma-separated numbers of incidents (default 10000)")
    parser.add_argument("--rounds", type=int, default=5, help="runs per figure (default 5)")
    parser.add_argument("--large-rounds", type=int, default=1, help=f"runs per figure above {LARGE:,} (default 1)")
    parser.add_argument("--keep", type=Path, help="generate the repositories into DIR and keep them")
    options = parser.parse_args()
    sizes = [int(s.replace("_", "")) for s in options.sizes.split(",") if s.strip()]
    with tempfile.TemporaryDirectory(prefix="inc-bench-report-") as scratch:
        for count in sizes:
            rounds = options.rounds if count <= LARGE else options.large_rounds
            measure(count, max(1, rounds), Path(scratch), options.keep)


if __name__ == "__main__":
    main()
