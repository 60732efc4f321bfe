"""Per-document cost of the fast writer (storage/fastdump.py) against PyYAML's dump.

    python benchmarks/bench_fastdump.py [--rounds 7]

For each shape of incident (those of bench_fastyaml.py, and the example repository's files as
read back), the median over ``--rounds`` rounds of the time per document of
``yamlio.dump_with_pyyaml`` (PyYAML with libyaml's emitter, as incli wrote every file before)
and of ``fastdump.dump``, in microseconds, and the median of the rounds' ratios (the writers
take turns within a round). A shape the fast writer leaves to PyYAML says "falls back" (text
libyaml escapes, such as an emoji or a tab, is PyYAML's). Last, what importing PyYAML costs a
process once (``-X importtime``, median of the rounds): the cost a write without it saves.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_fastyaml import imported, long_timeline, realistic, simple  # noqa: E402

from incli.storage import fastdump, yamlio  # noqa: E402


def shapes() -> list[tuple[str, list[Any]]]:
    found: list[tuple[str, list[Any]]] = [
        ("simple (5 entries)", [simple()]),
        ("imported (source)", [imported()]),
        ("realistic (pm+actions+notes)", [realistic()]),
        ("realistic, no emoji or tab", [_typed(realistic())]),
        ("long timeline (90 entries)", [_typed(long_timeline())]),
    ]
    examples = sorted((ROOT / "examples" / "acme" / "incidents").glob("*.yaml"))
    docs = [yamlio.load(p.read_bytes()) for p in examples]
    found.append(("examples/acme (all, per file)", docs))
    found.extend((f"  {p.name}", [doc]) for p, doc in zip(examples, docs, strict=True))
    return found


def _typed(doc: dict[str, Any]) -> dict[str, Any]:
    """The document with the one note libyaml escapes (an emoji, a tab) as people type most."""
    for entry in doc["timeline"]:
        entry["text"] = entry["text"].replace(" 😀", "").replace("\t", " ")
    return doc


def timed(fn: Callable[[Any], Any], docs: list[Any], repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        for doc in docs:
            fn(doc)
    return (time.perf_counter() - start) / (repeat * len(docs)) * 1e6


def measure(writers: list[Callable[[Any], Any]], docs: list[Any], rounds: int) -> list[list[float]]:
    """Microseconds per document of each writer, ``rounds`` times, interleaved within a round."""
    size = sum(len(yamlio.dump(d)) for d in docs)
    repeat = max(1, int(200_000 / max(1, size)))
    results: list[list[float]] = [[] for _ in writers]
    for _ in range(rounds):
        for n, writer in enumerate(writers):
            results[n].append(timed(writer, docs, repeat))
    return results


def pyyaml_import_us(rounds: int) -> float:
    """Microseconds a fresh process spends importing PyYAML (re already imported, as in incli)."""
    code = "import re; import yaml"
    times = []
    for _ in range(rounds):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, check=True
        )
        found = re.search(r"^import time:\s+\d+ \|\s+(\d+) \| yaml$", done.stderr, re.MULTILINE)
        assert found, done.stderr
        times.append(float(found.group(1)))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    yamlio.dump_with_pyyaml({})  # PyYAML imported before the clock runs
    print(f"{'shape':34} {'bytes':>6} {'pyyaml µs':>10} {'fast µs':>9} {'pyyaml/fast':>11}")
    for name, docs in shapes():
        if any(fastdump.dump(d) is None for d in docs):
            print(f"{name:34} falls back")
            continue
        assert all(fastdump.dump(d) == yamlio.dump_with_pyyaml(d) for d in docs)
        size = sum(len(yamlio.dump(d)) for d in docs) // len(docs)
        slow, fast = measure([yamlio.dump_with_pyyaml, fastdump.dump], docs, args.rounds)
        ratio = statistics.median(s / f for s, f in zip(slow, fast, strict=True))
        print(f"{name:34} {size:>6} {statistics.median(slow):>10.1f} {statistics.median(fast):>9.1f} {ratio:>11.2f}")
    print(f"{'import PyYAML (once per process)':34} {'':>6} {pyyaml_import_us(args.rounds):>10.0f}")


if __name__ == "__main__":
    main()
