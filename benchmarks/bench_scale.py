"""Speed at scale (issue 14): every figure next to its floor and target, as ratios taken in one run.

    python benchmarks/bench_scale.py --sizes 1000,10000,100000
    python benchmarks/bench_scale.py --sizes 10000 --runs 7 --kinds realistic
    python benchmarks/bench_scale.py --keep /tmp/bench      # reuse generated repositories
    python benchmarks/bench_scale.py --peers                # also yq and taskwarrior, when installed

Each command runs as a user types it, a fresh process (``python -m incli``), its output thrown
away (or on a pseudo-terminal-less "terminal" via INC_FORCE_TTY for the table). Each figure is
taken interleaved with its floor, run for run (floor, command, floor, command, ...), and the
median of the per-pair ratios is what is judged: a machine that slows down mid-run slows both.
The floors, measured in the same run:

- bare: a bare Typer app with one command (Python, Typer and its imports, nothing else);
- read: the same app reading the bytes of every incident file;
- loop: a plain ``yaml.load(data, Loader=yaml.CSafeLoader)`` over every incident file.

Two kinds of repository, generated once per size: ``generated`` (simple files, every one in the
fast reader's oldest shape) and ``realistic`` (the files incli writes for real, cloned to N with
new ids and times: the example repository's incidents with postmortems, action items and text
wrapped by the writer, files ``inc import`` wrote (with a ``source:`` block) and files alert
ingestion wrote; all but the newest few hundred resolved, as a real history is). Targets are
those of issue 14; README's "Speed at scale" shows the latest run. Not part of the test run.
"""

# ruff: noqa: B023 - the lambdas run at once, inside the loop that defines them
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")
SERVICES = ("checkout", "search", "payments", "auth", "db", "cdn", "mail", "batch")
ACTIVE = 60  # incidents left open in a generated repository, for inc ack runs
REALISTIC_RECENT = 300  # the newest clones of a realistic one that keep their template's state

BARE = """
import typer
app = typer.Typer()
@app.command()
def main(count: int = 0) -> None:
    pass
app()
"""
BARE_READ = """
import os, sys, typer
app = typer.Typer()
@app.command()
def main(folder: str) -> None:
    total = 0
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.endswith(".yaml"):
                with open(entry.path, "rb") as handle:
                    total += len(handle.read())
app()
"""
YAML_LOOP = """
import os, sys, yaml
folder = sys.argv[1]
for name in sorted(os.listdir(folder)):
    if name.endswith(".yaml"):
        with open(os.path.join(folder, name), "rb") as handle:
            yaml.load(handle.read(), Loader=yaml.CSafeLoader)
"""

# As installed software runs: with bytecode caches (a shell may turn them off).
ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "INC_NO_INDEX", "INC_DIR")}


# -- generating repositories ---------------------------------------------------------------


def new_id(rng: random.Random, moment: datetime) -> str:
    return f"INC-{moment:%Y%m%d}-" + "".join(rng.choice(ALPHABET) for _ in range(5))


def simple_incident(rng: random.Random, index: int, start: datetime, active: bool) -> tuple[str, str]:
    """One file in the simple shape incli writes for an incident without postmortem or import
    (checked: the fast reader reads it without PyYAML)."""
    ident = new_id(rng, start)
    sev = rng.choice(SEVERITIES)
    detected = start + timedelta(minutes=rng.randint(0, 30))
    acked = detected + timedelta(minutes=rng.randint(1, 20))
    mitigated = acked + timedelta(minutes=rng.randint(5, 120))
    resolved = mitigated + timedelta(minutes=rng.randint(5, 600))
    by = rng.choice(("ann", "bo", "carol", "dan"))
    entries = [(detected, "opened", f"Opened as {sev}: Elevated errors on service {index}")]
    entries.append((acked, "acknowledged", "Acknowledged"))
    for n in range(6 if active else 5):
        entries.append((acked + timedelta(minutes=n + 1), "note", f"Looked at dashboard {n}; error rate {n + 3}%"))
    if active:
        entries.append((acked + timedelta(minutes=9), "update", "Still investigating"))
    else:
        entries.append((mitigated, "mitigated", "Mitigated: rolled back the deploy"))
        entries.append((resolved, "resolved", "Resolved: fixed the config"))
    timeline = "".join(
        f"- at: '{at.isoformat()}'\n  kind: {kind}\n  by: {by}\n  text: '{text}'\n" for at, kind, text in entries
    )
    body = (
        f"schema: 1\nid: {ident}\ntitle: Elevated errors on service {index}\nseverity: {sev}\n"
        f"status: {'open' if active else 'resolved'}\nservice: {rng.choice(SERVICES)}\nsummary: Customers saw errors\n"
        f"commander: {by}\nroles: {{}}\ntags:\n- generated\ndrill: false\n"
        f"opened_at: '{detected.isoformat()}'\nstarted_at: '{start.isoformat()}'\n"
        f"detected_at: '{detected.isoformat()}'\n"
        f"acknowledged_at:{'' if active else ' ' + repr(acked.isoformat())}\n"
        f"mitigated_at:{'' if active else ' ' + repr(mitigated.isoformat())}\n"
        f"resolved_at:{'' if active else ' ' + repr(resolved.isoformat())}\ntimeline:\n{timeline}"
    )
    return ident, body


TIME = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:[+-]\d\d:\d\d|Z)")
OLD_ID = re.compile(rb"INC-\d{8}-[2-9a-z]{5}")
ACTION_ID = re.compile(rb"ACT-[2-9a-z]{5}")


def realistic_templates(work: Path) -> list[tuple[bytes, bytes, datetime]]:
    """Incident files as incli writes them, each as it is, as it is once resolved (``inc resolve
    --at``, for one still active; the file itself for one resolved) and its opened_at: the example
    repository's own files (postmortems, action items, text the writer wrapped), the same incidents
    written again by ``inc import`` (with a ``source:`` block), and incidents alert ingestion wrote
    (Alertmanager, Grafana, PagerDuty events), made here through the commands themselves."""
    inc = [sys.executable, "-m", "incli"]
    made = work / "templates-repo"
    if made.exists():
        shutil.rmtree(made)
    work.mkdir(parents=True, exist_ok=True)
    subprocess.run([*inc, "init", str(made)], check=True, capture_output=True, env=ENV)
    acme = ROOT / "examples" / "acme"
    exported = subprocess.run([*inc, "--dir", str(acme), "export"], check=True, capture_output=True, env=ENV).stdout
    (work / "import.json").write_text(exported.decode())
    on = [*inc, "--dir", str(made)]
    subprocess.run([*on, "import", str(work / "import.json")], check=True, capture_output=True, env=ENV)
    sys.path.insert(0, str(ROOT))
    from tests import alertpayloads, sourcepayloads  # the test suite's payload builders

    samples = [
        ("alertmanager", alertpayloads.firing_two()),
        ("grafana", sourcepayloads.grafana([sourcepayloads.grafana_alert("eu-1")])),
        ("pagerduty", sourcepayloads.pd_trigger()),
    ]
    for source, body in samples:
        path = work / f"{source}.json"
        path.write_text(json.dumps(body))
        subprocess.run([*on, "ingest", source, str(path)], check=True, capture_output=True, env=ENV)
    for path in (acme / "incidents").glob("*.yaml"):  # beside the others, to be resolved alike
        shutil.copy2(path, made / "incidents" / path.name)
    resolved = work / "templates-resolved"
    if resolved.exists():
        shutil.rmtree(resolved)
    shutil.copytree(made, resolved)
    templates = []
    for path in sorted((made / "incidents").glob("*.yaml")):
        data = path.read_bytes()
        opened = re.search(rb"^opened_at: '?([^'\n]+)'?$", data, re.MULTILINE)
        if not opened:
            continue
        at = datetime.fromisoformat(opened.group(1).decode())
        if re.search(rb"^status: resolved$", data, re.MULTILINE) is None:
            done = min(at + timedelta(minutes=47), datetime.now(UTC)).isoformat()  # (ingested: just now)
            subprocess.run([*inc, "--dir", str(resolved), "resolve", path.stem, "--at", done, "--by", "bench"],
                           check=True, capture_output=True, env=ENV)  # fmt: skip
        templates.append((data, (resolved / "incidents" / path.name).read_bytes(), at))
    return templates


def clone(template: bytes, opened: datetime, rng: random.Random, moment: datetime) -> tuple[str, bytes]:
    """The template moved to ``moment`` (every time shifted alike) with fresh ids."""
    shift = moment - opened

    def moved(match: re.Match[bytes]) -> bytes:
        text = match.group().decode()
        at = datetime.fromisoformat(text.replace("Z", "+00:00")) + shift
        return at.isoformat().encode()

    ident = new_id(rng, moment)
    data = TIME.sub(moved, template)
    data = OLD_ID.sub(ident.encode(), data)
    data = ACTION_ID.sub(lambda _m: ("ACT-" + "".join(rng.choice(ALPHABET) for _ in range(5))).encode(), data)
    return ident, data


def generate(root: Path, count: int, kind: str) -> list[str]:
    """A repository of ``count`` incidents; returns the ids of those neither acknowledged nor
    resolved (kept in active.txt, with their original files, so later runs can undo the
    acknowledgements and notes of earlier ones)."""
    if (root / "incli.yaml").exists() and (root / "active.txt").exists():
        active_ids = (root / "active.txt").read_text().split()
        for ident in active_ids:
            shutil.copy2(root / "originals" / f"{ident}.yaml", root / "incidents" / f"{ident}.yaml")
        return active_ids
    subprocess.run([sys.executable, "-m", "incli", "init", str(root)], check=True, capture_output=True, env=ENV)
    folder = root / "incidents"
    (root / "originals").mkdir(exist_ok=True)
    rng = random.Random(count)
    start = datetime(2015, 1, 1, tzinfo=UTC)
    step = (datetime(2025, 1, 1, tzinfo=UTC) - start) / count
    templates = realistic_templates(root.parent / f"work-{root.name}") if kind == "realistic" else []
    active_ids: list[str] = []
    seen: set[str] = set()
    for index in range(count):
        moment = (start + step * index).replace(microsecond=0)
        if kind == "realistic":
            # History is resolved; the newest REALISTIC_RECENT clones keep the example's mix of
            # states (about as many active ones as a generated repository has: ACTIVE)
            data, done, opened = templates[index % len(templates)]
            ident, body = clone(data if index >= count - REALISTIC_RECENT else done, opened, rng, moment)
            # ack-able: neither acknowledged nor resolved (inc ack and inc note runs take these)
            is_active = b"\nacknowledged_at:\n" in body and b"\nresolved_at:\n" in body
        else:
            is_active = index >= count - ACTIVE
            ident, text = simple_incident(rng, index, moment, is_active)
            body = text.encode()
        if ident in seen:
            continue
        seen.add(ident)
        (folder / f"{ident}.yaml").write_bytes(body)
        if is_active:
            active_ids.append(ident)
            (root / "originals" / f"{ident}.yaml").write_bytes(body)
    (root / "active.txt").write_text("\n".join(active_ids))
    old = time.time() - 3600  # files written long ago, as in a real repository
    for path in folder.glob("*.yaml"):
        os.utime(path, (old, old))
    return active_ids


# -- timing ---------------------------------------------------------------------------------


@dataclass
class Run:
    seconds: float
    rss_kb: int


# Runs a command and writes its wall time, peak memory and wait status to the file descriptor
# given first. A process made
# by fork or vfork counts the memory of the process it was made from in its peak (Linux records
# the old address space's high-water mark at exec), so the command is started from this small
# process rather than from the benchmark, which holds generated repositories' templates.
MEASURE = """
import os, sys, time
begin = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_pid, status, usage = os.wait4(pid, 0)
os.write(int(sys.argv[1]), f"{time.perf_counter() - begin} {usage.ru_maxrss} {status}".encode())
"""


def timed(cmd: list[str], env: dict[str, str] | None = None, check: bool = True) -> Run:
    """The command's wall time (its own, without the measuring process's start) and peak memory."""
    read, write = os.pipe()
    try:
        proc = subprocess.run(
            [sys.executable, "-c", MEASURE, str(write), *cmd], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            env={**ENV, **(env or {})}, pass_fds=(write,), check=False,
        )  # fmt: skip
    finally:
        os.close(write)
    with os.fdopen(read, "rb") as answer:
        elapsed, rss_kb, status = answer.read().decode().split()
    if check and int(status) != 0:
        raise SystemExit(f"failed ({status}): {' '.join(cmd)}\n{proc.stderr.decode()}")
    return Run(float(elapsed), int(rss_kb))


@dataclass
class Figure:
    label: str
    seconds: float
    rss_kb: int
    floor_name: str
    floor: float
    ratio: float
    target: str
    ok: bool


def paired(
    runs: int,
    command: Callable[[int], list[str]],
    floor: Callable[[int], list[str]],
    *,
    env: dict[str, str] | None = None,
    before: Callable[[int], None] | None = None,
) -> tuple[float, int, float, float]:
    """Median command seconds, peak RSS, median floor seconds and the median of the per-pair
    ratios, the two taking turns."""
    ours, floors, ratios, peak = [], [], [], 0
    for run in range(runs):
        base = timed(floor(run))
        if before is not None:
            before(run)
        got = timed(command(run), env)
        ours.append(got.seconds)
        floors.append(base.seconds)
        ratios.append(got.seconds / base.seconds)
        peak = max(peak, got.rss_kb)
    return statistics.median(ours), peak, statistics.median(floors), statistics.median(ratios)


def machine() -> str:
    model = "unknown CPU"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"{platform.system()} {platform.machine()}, {model}, {os.cpu_count()} CPUs, Python "
            f"{platform.python_version()}, load average {load}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated incident counts")
    parser.add_argument("--runs", type=int, default=5, help="pairs per figure (median); at least 5 to judge")
    parser.add_argument("--kinds", default="generated,realistic", help="generated, realistic or both")
    parser.add_argument("--keep", help="folder to keep (and reuse) generated repositories in")
    parser.add_argument("--peers", action="store_true", help="also time yq and taskwarrior on the same records")
    args = parser.parse_args()
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="incli-bench-"))
    scripts = base / "scripts"
    scripts.mkdir(parents=True, exist_ok=True)
    for name, text in (("bare.py", BARE), ("bare_read.py", BARE_READ), ("yaml_loop.py", YAML_LOOP)):
        (scripts / name).write_text(text)
    py = sys.executable
    inc = [py, "-m", "incli"]
    runs = max(1, args.runs)
    import compileall

    import incli

    compileall.compile_dir(Path(incli.__file__).parent, quiet=1)  # as pip does on install
    print(f"{machine()}\nmedian of {runs} interleaved pairs per figure; repositories in {base}", flush=True)
    results: list[tuple[int, str, Figure]] = []
    show_times: dict[str, dict[int, float]] = {}
    try:
        for kind in [k.strip() for k in args.kinds.split(",") if k.strip()]:
            for size in (int(s) for s in args.sizes.split(",") if s.strip()):
                results += measure(base, kind, size, runs, inc, scripts, show_times, args.peers)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    for kind, times in show_times.items():
        if len(times) > 1:
            smallest, largest = min(times), max(times)
            grows = times[largest] / times[smallest]
            print(f"\ninc show ID ({kind}): {times[smallest]:.3f} s at {smallest:,}, {times[largest]:.3f} s at "
                  f"{largest:,}: {grows:.2f}x, target independent of N (<= 1.2x)   "
                  f"{'ok' if grows <= 1.2 else 'MISSED'}")  # fmt: skip
    missed = [f"{size:,} {kind}: {f.label}" for size, kind, f in results if not f.ok]
    print(f"\n{len(results) - len(missed)} of {len(results)} figures on target" + (":" if missed else ""))
    for line in missed:
        print(f"  MISSED {line}")


def measure(
    base: Path,
    kind: str,
    size: int,
    runs: int,
    inc: list[str],
    scripts: Path,
    show_times: dict[str, dict[int, float]],
    peers: bool,
) -> list[tuple[int, str, Figure]]:
    py = sys.executable
    root = base / f"{kind}-{size}"
    began = time.perf_counter()
    active = generate(root, size, kind)
    folder = root / "incidents"
    count = sum(1 for _ in folder.glob("*.yaml"))
    print(f"\n== {count:,} incidents, {kind} (generated in {time.perf_counter() - began:.1f} s) ==", flush=True)
    bare = lambda _r: [py, str(scripts / "bare.py")]  # noqa: E731
    read = lambda _r: [py, str(scripts / "bare_read.py"), str(folder)]  # noqa: E731
    loop = lambda _r: [py, str(scripts / "yaml_loop.py"), str(folder)]  # noqa: E731
    floors = {"bare": bare, "read": read, "loop": loop}
    on = [*inc, "--dir", str(root)]
    timed([*on, "list", "--json"])  # the index, as any earlier command leaves it
    timed([*on, "validate"], check=False)
    figures: list[Figure] = []

    def drop_index(_run: int) -> None:
        for path in (root / ".incli").glob("index-*"):
            if path.name != "index-config.marshal":
                path.unlink()

    def figure(label: str, argv: list[str], floor: str, factor: float, *, env: dict[str, str] | None = None,
               before: Callable[[int], None] | None = None, limit: tuple[float, int] | None = None,
               pairs: int | None = None, command: Callable[[int], list[str]] | None = None,
               any_n: bool = False) -> Figure:  # fmt: skip
        """One figure; its ratio is judged at 10,000 incidents (the issue's N) or, with
        ``any_n``, at every size; ``limit`` (seconds, MB) at 100,000."""
        seconds, rss, floor_s, ratio = paired(
            pairs or runs, command or (lambda _r: [*on, *argv]), floors[floor], env=env, before=before
        )
        judged = any_n or size == 10000
        ok = ratio <= factor or not judged
        target = f"<= {factor} x {floor}" if judged else f"(<= {factor} x {floor} at 10,000)"
        if limit is not None and size >= 100000:
            limit_s, limit_mb = limit
            ok = seconds < limit_s and rss < limit_mb * 1024
            target = f"< {limit_s:g} s and < {limit_mb} MB"
        made = Figure(label, seconds, rss, floor, floor_s, ratio, target, ok)
        print(f"{label:36} {seconds:7.3f} s {rss / 1024:6.0f} MB  {ratio:5.2f} x {floor} ({floor_s:.3f} s)   "
              f"target {target}   {'ok' if ok else 'MISSED'}", flush=True)  # fmt: skip
        figures.append(made)
        return made

    tty = {"INC_FORCE_TTY": "1", "COLUMNS": "120"}
    figure("inc list (table, --limit 0)", ["list", "--limit", "0"], "read", 2.0, env=tty, limit=(3, 400))
    figure("inc list (TSV in a pipe)", ["list"], "read", 2.0, limit=(3, 400))
    figure("inc list --json", ["list", "--json"], "read", 1.5, limit=(3, 400))
    figure("inc export", ["export"], "read", 1.5, limit=(3, 400))
    figure("inc metrics (indexed)", ["metrics"], "read", 2.0, limit=(3, 400))
    figure("inc status", ["status"], "bare", 1.5, any_n=True)
    figure("inc validate, unchanged", ["validate"], "read", 2.0)
    cold_pairs = runs if size <= 20000 else max(1, min(runs, 2))
    figure("inc validate, first run", ["validate"], "loop", 1.0, before=drop_index, pairs=cold_pairs)
    if kind == "realistic":
        figure("inc metrics, first run", ["metrics"], "loop", 0.8, before=drop_index, pairs=cold_pairs)
        figure("inc list --json, first run", ["list", "--json"], "loop", 0.8, before=drop_index, pairs=cold_pairs)
    show_id = active[0] if active else ""
    if show_id:  # judged by how it grows with N (at the end); beside bare for information
        # (the first runs dropped the index: one untimed listing rebuilds it, so this figure is
        # inc show's own time and memory, not the first build's)
        subprocess.run([*on, "list", "--limit", "1"], check=True, capture_output=True, env=ENV)
        shown = figure("inc show ID", ["show", show_id, "--no-pager"], "bare", 2.0)
        show_times.setdefault(kind, {})[size] = shown.seconds
    pool = iter(active[1:])

    def next_id(_run: int) -> list[str]:
        return [*on, "ack", next(pool), "--by", "bench"]

    if len(active) > 2 * runs + 1:
        figure("inc ack ID --by NAME", [], "bare", 1.2, command=next_id, any_n=True)
        figure("inc ack ID (git user)", [], "bare", 1.2, command=lambda _r: [*on, "ack", next(pool)], any_n=True)
    note_id = active[-1] if active else ""
    if note_id:
        figure("inc note ID TEXT", ["note", note_id, "checked the pool", "--by", "bench"], "bare", 1.2, any_n=True)
    figure(
        "inc open TITLE -s SEV3", ["open", "Checkout errors", "-s", "SEV3", "--by", "bench"], "bare", 1.2, any_n=True
    )
    complete = {"_INC_COMPLETE": "complete_bash", "COMP_WORDS": "inc ack ", "COMP_CWORD": "2", "INC_DIR": str(root)}
    # A TAB a moment after the last write (inc open above): completion keeps its cache only once
    # the folder has settled (service/complete.py, SETTLE_NS); a TAB within two seconds of a write
    # rebuilds it from the index, as the first run here does.
    time.sleep(2.5)
    figure("completion of incident ids", [], "bare", 1.5, env=complete, command=lambda _r: list(inc))
    report_figures(root, size, on, figures)
    if peers:
        peer_figures(folder, size, runs)
    return [(size, kind, f) for f in figures]


def report_figures(root: Path, size: int, on: list[str], figures: list[Figure]) -> None:
    """inc report: the first build, a rebuild after one incident changed, and peak memory."""
    site = root / "site"
    if site.exists():
        shutil.rmtree(site)
    first = timed([*on, "report", "-o", str(site)])
    first_ok = first.seconds <= 10.0 if size == 10000 else True
    if size >= 100000:
        first_ok = first.rss_kb < 1024 * 1024
    figures.append(Figure("inc report, first build", first.seconds, first.rss_kb, "-", 0, 0, "<= 10 s at 10,000; "
                          "< 1 GB at 100,000", first_ok))  # fmt: skip
    target = sorted((root / "incidents").glob("*.yaml"))[size // 2]
    subprocess.run(
        [*on, "note", target.stem, "one more note", "--by", "bench"], check=True, capture_output=True, env=ENV
    )
    again = timed([*on, "report", "-o", str(site)])
    figures.append(Figure("inc report, one incident changed", again.seconds, again.rss_kb, "-", 0, 0,
                          "<= 2 s at 10,000", again.seconds <= 2.0 or size != 10000))  # fmt: skip
    for made in figures[-2:]:
        print(f"{made.label:36} {made.seconds:7.3f} s {made.rss_kb / 1024:6.0f} MB  target {made.target}   "
              f"{'ok' if made.ok else 'MISSED'}", flush=True)  # fmt: skip


def peer_figures(folder: Path, size: int, runs: int) -> None:
    """The same records through yq (YAML to JSON, every file) and taskwarrior (export), when installed."""
    if shutil.which("yq"):
        files = sorted(str(p) for p in folder.glob("*.yaml"))
        times = []
        for _run in range(min(runs, 3)):
            begin = time.perf_counter()
            for start in range(0, len(files), 2000):
                subprocess.run(["yq", ".", *files[start : start + 2000]], stdout=subprocess.DEVNULL, check=False)
            times.append(time.perf_counter() - begin)
        print(f"{'peer: yq . over every file':36} {statistics.median(times):7.3f} s")
    if shutil.which("task"):
        data = Path(tempfile.mkdtemp(prefix="incli-task-"))
        env = {**ENV, "TASKDATA": str(data), "TASKRC": str(data / "taskrc")}
        (data / "taskrc").write_text(f"data.location={data}\nconfirmation=off\nverbose=nothing\n")
        tasks = [{"uuid": f"00000000-0000-4000-8000-{n:012d}", "description": f"Incident {n}", "status": "completed",
                  "entry": "20240101T000000Z", "end": "20240101T010000Z"} for n in range(size)]  # fmt: skip
        (data / "tasks.json").write_text(json.dumps(tasks))
        subprocess.run(["task", "import", str(data / "tasks.json")], env=env, capture_output=True, check=False)
        times = []
        for _run in range(runs):
            begin = time.perf_counter()
            subprocess.run(
                ["task", "export"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
            )
            times.append(time.perf_counter() - begin)
        print(f"{'peer: task export (taskwarrior)':36} {statistics.median(times):7.3f} s")
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
