"""Mutation run over the code whose rules every number rests on (issue 19). Not part of CI: it is slow.

    pip install -e '.[test,dev]'
    python tools/mutation.py                 # the README's figure: a seeded random sample of 1,200 mutants
    python tools/mutation.py --all           # every mutant [tool.mutmut] names (many hours on 2 cores)
    python tools/mutation.py 'incli.domain.times*'   # every mutant of one module
    python tools/mutation.py --sample 400 'incli.storage.*'   # a sample of one area's mutants
    python tools/mutation.py --report        # the score of the last run, without running

mutmut (the dev extra) copies ``src/`` to ``mutants/``, puts each mutant behind a switch, runs the
suite once to learn which tests reach which function, then runs, for each mutant, only the tests that
reach it. What it mutates and which tests it may use are in ``[tool.mutmut]`` of pyproject.toml:
``src/incli/domain/``, ``src/incli/storage/`` and the integrations' parsers, against ``tests/unit`` and
``tests/cli`` (the e2e tests run ``inc`` as a subprocess, which always imports the unmutated code, so
they could never kill a mutant; the lint and layer tests read the mutated files' text, so they would
kill every mutant for the wrong reason).

The score is detected / (detected + survived + untested): a mutant is detected when a test fails
(or hangs until mutmut's timeout, which a user would notice too); a mutant no test reaches counts
against the score.

There are over 25,000 mutants, and a mutant of code every CLI test reaches takes seconds to judge, so
the whole run takes most of a day on 2 cores. By default the script judges a simple random sample of
them (``--sample``, drawn with ``--seed`` from the sorted names of every mutant, so the same commit
and seed judge the same mutants) and prints each area's score with its 95% Wilson interval: the
error of a sample of n is about 1.96 * sqrt(p(1 - p) / n), under 2 points at n = 1,200 and p = 0.9.
Random mutant sampling is the standard way to estimate a score (Acree 1980; Wong and Mathur 1995).

A mutant shown to be equivalent (no input can tell it from the original) is marked
in the source with ``# pragma: no mutate`` and a reason, so it is never generated.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "mutants"

# mutmut's exit codes per mutant (mutmut.stats.status_by_exit_code), folded into three outcomes.
DETECTED = {1: "killed", 3: "killed", 36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout", 255: "timeout"}
UNTESTED = {5: "no tests", 33: "no tests"}
SURVIVED = {0: "survived"}


SAMPLE_SIZE = 1200
# A seed no test was written against: the survivors of seeds 1, 19, 2026 (10270ce) and 5 (storage)
# guided the tests; a score from their samples would flatter the code.
SEED = 1205
SAMPLE = MUTANTS / "sample.json"  # the names the last sampled run judged; --report scores only these


def mutants_by_file() -> dict[str, dict[str, int | None]]:
    """Each mutated file's mutants, name to mutmut's exit code (None: not run yet)."""
    found: dict[str, dict[str, int | None]] = {}
    for meta in sorted(MUTANTS.glob("src/**/*.py.meta")):
        data = json.loads(meta.read_text(encoding="utf-8"))
        found[str(meta.relative_to(MUTANTS))[: -len(".meta")]] = data.get("exit_code_by_key", {})
    return found


def matching(names: list[str], patterns: list[str]) -> list[str]:
    """The names matching any of these patterns (mutmut's own fnmatch style); all when there are none."""
    import fnmatch

    return [n for n in names if not patterns or any(fnmatch.fnmatchcase(n, p) for p in patterns)]


def draw(names: list[str], size: int, seed: int) -> list[str]:
    """A simple random sample of ``size`` names, the same for the same names and seed."""
    return sorted(random.Random(seed).sample(sorted(names), min(size, len(names))))


def wilson(detected: int, judged: int, z: float = 1.96) -> tuple[float, float]:
    """The 95% Wilson score interval of detected / judged, in percent."""
    p = detected / judged
    centre = (p + z * z / (2 * judged)) / (1 + z * z / judged)
    half = z * math.sqrt(p * (1 - p) / judged + z * z / (4 * judged * judged)) / (1 + z * z / judged)
    return 100.0 * max(0.0, centre - half), 100.0 * min(1.0, centre + half)


def tally(only: set[str] | None = None) -> tuple[dict[str, Counter[str]], list[str]]:
    """Outcome counts per source file and the names of the mutants that were not detected.

    ``only``: count just these mutants (a sampled run); the others keep older results.
    """
    per_file: dict[str, Counter[str]] = {}
    missed: list[str] = []
    for source, codes in mutants_by_file().items():
        counts: Counter[str] = Counter()
        for name, code in sorted(codes.items()):
            if only is not None and name not in only:
                continue
            if code in DETECTED:
                counts["detected"] += 1
            elif code in UNTESTED:
                counts["untested"] += 1
                missed.append(f"{name}  (no test reaches it)")
            elif code in SURVIVED:
                counts["survived"] += 1
                missed.append(name)
            elif code is None:
                counts["not run"] += 1
            else:
                counts["other"] += 1
                missed.append(f"{name}  (exit code {code})")
        if counts:
            per_file[source] = counts
    return per_file, missed


def forget_unmutated_copies() -> None:
    """Delete the plain copies mutmut made of files ``only_mutate`` names but did not mutate.

    mutmut copies every source file into ``mutants/`` and regenerates a copy only when the
    source is newer. A file added to ``only_mutate`` after a run (or a run limited to one
    file) keeps its plain copy: mutmut then reports no mutants for it at all. A mutated file
    has a ``.meta`` beside it; any other copy the config names is removed, so it is remade.
    """
    import fnmatch
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config.get("tool", {}).get("mutmut", {}).get("only_mutate", [])
    forgot = False
    for copy in sorted(MUTANTS.glob("src/**/*.py")):
        name = str(copy.relative_to(MUTANTS))
        if any(fnmatch.fnmatch(name, p) for p in patterns) and not copy.with_name(copy.name + ".meta").exists():
            copy.unlink()
            forgot = True
    if forgot:
        # Which tests reach which function was recorded without these files' functions:
        # kept, it would call each of their mutants untested. Collect it again.
        (MUTANTS / "mutmut-stats.json").unlink(missing_ok=True)


def score(counts: Counter[str]) -> float | None:
    judged = counts["detected"] + counts["survived"] + counts["untested"] + counts["other"]
    return None if judged == 0 else 100.0 * counts["detected"] / judged


def report(show_diffs: bool) -> int:
    sample = json.loads(SAMPLE.read_text(encoding="utf-8")) if SAMPLE.exists() else None
    per_file, missed = tally(None if sample is None else set(sample["mutants"]))
    if not per_file:
        print("mutation: no results under mutants/; run without --report first", file=sys.stderr)
        return 1
    total: Counter[str] = Counter()
    areas: dict[str, Counter[str]] = {}
    width = max(len(name) for name in [*per_file, "src/incli/integrations/importers/ (all)"])

    def line(name: str, counts: Counter[str]) -> str:
        value = score(counts)
        shown = "-" if value is None else f"{value:.1f}%"
        judged = counts["detected"] + counts["survived"] + counts["untested"] + counts["other"]
        low, high = wilson(counts["detected"], judged) if sample and judged else (0.0, 0.0)
        interval = f"  {low:.1f}-{high:.1f}%" if sample and judged else ""
        row = f"{counts['detected']:>8}  {counts['survived']:>8}  {counts['untested']:>8}  {shown:>6}"
        return f"{name:<{width}}  {row}{interval}"

    if sample is not None:
        among = f" matching {' '.join(sample['patterns'])}" if sample.get("patterns") else ""
        print(
            f"A random sample of {len(sample['mutants'])} of {sample['population']} mutants{among} "
            f"(seed {sample['seed']}); the range after each score is its 95% interval.\n"
        )
    print(f"{'file':<{width}}  detected  survived  untested  score{'  95% interval' if sample else ''}")
    for name, counts in per_file.items():
        total.update(counts)
        areas.setdefault(str(Path(name).parent), Counter()).update(counts)
        print(line(name, counts))
    for area, counts in areas.items():  # src/incli/domain, src/incli/storage, ...
        print(line(f"{area}/ (all)", counts))
    print(line("total", total))
    if total["not run"]:
        print(f"({total['not run']} mutants not run yet)")
    if missed:
        print(f"\n{len(missed)} mutants not detected:")
        for name in missed:
            print(f"  {name}")
            if show_diffs:
                subprocess.run(["mutmut", "show", name.split()[0]], cwd=ROOT, check=False)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "mutants",
        nargs="*",
        help="judge every mutant matching these, e.g. 'incli.domain.times*' (with --sample: a sample of them)",
    )
    parser.add_argument("--max-children", type=int, default=2, help="mutants tested at once (default 2)")
    parser.add_argument("--report", action="store_true", help="only print the score of the last run")
    parser.add_argument("--diffs", action="store_true", help="print the diff of every mutant not detected")
    parser.add_argument("--fresh", action="store_true", help="forget earlier results (mutmut resumes otherwise)")
    parser.add_argument("--all", action="store_true", help="judge every mutant instead of a sample")
    parser.add_argument("--sample", type=int, help=f"mutants in the random sample (default {SAMPLE_SIZE})")
    parser.add_argument("--seed", type=int, default=SEED, help=f"the sample's seed (default {SEED})")
    args = parser.parse_args(argv)
    if args.sample is not None and args.sample < 1:
        parser.error("--sample must be at least 1")
    if args.sample is not None and args.all:
        parser.error("--sample and --all exclude each other")
    if not args.report:
        if shutil.which("mutmut") is None:
            print("mutation: mutmut is not installed; pip install -e '.[test,dev]'", file=sys.stderr)
            return 1
        if args.fresh and MUTANTS.exists():
            shutil.rmtree(MUTANTS)
        forget_unmutated_copies()
        MUTANTS.mkdir(exist_ok=True)
        SAMPLE.unlink(missing_ok=True)
        if args.all or (args.mutants and args.sample is None):
            return mutmut(args.max_children, args.mutants) or report(args.diffs)
        # mutmut makes its mutants (and learns which tests reach which function) when it first
        # runs; the few mutants of incli.domain.ids are judged to get there, then the sample.
        failed = mutmut(args.max_children, ["incli.domain.ids.*"])
        if failed:
            return failed
        population = matching([name for codes in mutants_by_file().values() for name in codes], args.mutants)
        if not population:
            print(f"mutation: no mutant matches {' '.join(args.mutants)}", file=sys.stderr)
            return 1
        chosen = draw(population, args.sample or SAMPLE_SIZE, args.seed)
        failed = mutmut(args.max_children, chosen)
        if failed:
            return failed
        sample = {"seed": args.seed, "population": len(population), "patterns": args.mutants, "mutants": chosen}
        SAMPLE.write_text(json.dumps(sample, indent=1), encoding="utf-8")
    return report(args.diffs)


def mutmut(max_children: int, names: list[str]) -> int:
    """Run ``mutmut run`` on these mutant names or patterns (all when empty); 0 when it succeeded."""
    log = MUTANTS / "run.log"
    print(f"mutation: running mutmut (progress in {log.relative_to(ROOT)}); this takes a while", flush=True)
    with log.open("a", encoding="utf-8") as out:
        command = ["mutmut", "run", "--max-children", str(max_children), *names]
        done = subprocess.run(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        print(f"mutation: mutmut failed (exit {done.returncode}); see {log}", file=sys.stderr)
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
