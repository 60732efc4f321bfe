"""Mutation run over the code whose rules every number rests on (issue 19). Not part of CI: it is slow.

    pip install -e '.[test,dev]'
    python tools/mutation.py                 # everything [tool.mutmut] names; prints the score
    python tools/mutation.py --max-children 2 'incli.domain.times*'   # one module
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
against the score. A mutant shown to be equivalent (no input can tell it from the original) is marked
in the source with ``# pragma: no mutate`` and a reason, so it is never generated.
"""

from __future__ import annotations

import argparse
import json
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


def tally() -> tuple[dict[str, Counter[str]], list[str]]:
    """Outcome counts per source file and the names of the mutants that were not detected."""
    per_file: dict[str, Counter[str]] = {}
    missed: list[str] = []
    for meta in sorted(MUTANTS.glob("src/**/*.py.meta")):
        data = json.loads(meta.read_text(encoding="utf-8"))
        source = str(meta.relative_to(MUTANTS))[: -len(".meta")]
        counts: Counter[str] = Counter()
        for name, code in sorted(data.get("exit_code_by_key", {}).items()):
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
    per_file, missed = tally()
    if not per_file:
        print("mutation: no results under mutants/; run without --report first", file=sys.stderr)
        return 1
    total: Counter[str] = Counter()
    areas: dict[str, Counter[str]] = {}
    width = max(len(name) for name in per_file)

    def line(name: str, counts: Counter[str]) -> str:
        value = score(counts)
        shown = "-" if value is None else f"{value:.1f}%"
        return f"{name:<{width}}  {counts['detected']:>8}  {counts['survived']:>8}  {counts['untested']:>8}  {shown:>6}"

    print(f"{'file':<{width}}  detected  survived  untested  score")
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
    parser.add_argument("mutants", nargs="*", help="mutant name patterns, e.g. 'incli.domain.times*' (default: all)")
    parser.add_argument("--max-children", type=int, default=2, help="mutants tested at once (default 2)")
    parser.add_argument("--report", action="store_true", help="only print the score of the last run")
    parser.add_argument("--diffs", action="store_true", help="print the diff of every mutant not detected")
    parser.add_argument("--fresh", action="store_true", help="forget earlier results (mutmut resumes otherwise)")
    args = parser.parse_args(argv)
    if not args.report:
        if shutil.which("mutmut") is None:
            print("mutation: mutmut is not installed; pip install -e '.[test,dev]'", file=sys.stderr)
            return 1
        if args.fresh and MUTANTS.exists():
            shutil.rmtree(MUTANTS)
        forget_unmutated_copies()
        log = MUTANTS / "run.log"
        MUTANTS.mkdir(exist_ok=True)
        print(f"mutation: running mutmut (progress in {log.relative_to(ROOT)}); this takes a while", flush=True)
        with log.open("w", encoding="utf-8") as out:
            command = ["mutmut", "run", "--max-children", str(args.max_children), *args.mutants]
            done = subprocess.run(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, check=False)
        if done.returncode != 0:
            print(f"mutation: mutmut failed (exit {done.returncode}); see {log}", file=sys.stderr)
            return done.returncode
    return report(args.diffs)


if __name__ == "__main__":
    sys.exit(main())
