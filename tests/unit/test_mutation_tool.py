"""tools/mutation.py: the sampled score the README quotes is drawn and counted as it says."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def tool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    spec = importlib.util.spec_from_file_location("mutation_tool", ROOT / "tools" / "mutation.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "mutation_tool", module)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "MUTANTS", tmp_path / "mutants")
    monkeypatch.setattr(module, "SAMPLE", tmp_path / "mutants" / "sample.json")
    return module


def meta(root: Path, source: str, codes: dict[str, int | None]) -> None:
    path = root / "mutants" / "src" / f"{source}.meta"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"exit_code_by_key": codes}), encoding="utf-8")


def test_the_same_names_and_seed_draw_the_same_sample(tool: ModuleType) -> None:
    names = [f"m{i}" for i in range(1000)]
    first = tool.draw(names, 50, 19)
    assert first == tool.draw(list(reversed(names)), 50, 19)  # the order mutmut lists them in does not matter
    assert len(set(first)) == 50 and set(first) <= set(names)
    assert first != tool.draw(names, 50, 20)
    assert tool.draw(names[:10], 50, 19) == sorted(names[:10])  # a sample larger than all is all


def test_patterns_narrow_the_population_a_sample_is_drawn_from(tool: ModuleType) -> None:
    names = [
        "incli.storage.index.x_scan__mutmut_1",
        "incli.domain.times.x_parse__mutmut_2",
        "incli.storage.a.b__mutmut_3",
    ]
    assert tool.matching(names, ["incli.storage.*"]) == [names[0], names[2]]
    assert tool.matching(names, ["incli.domain.*", "*_3"]) == names[1:]
    assert tool.matching(names, []) == names
    assert tool.matching(names, ["incli.Storage.*"]) == []  # names are matched as mutmut spells them


def test_the_interval_is_the_wilson_interval(tool: ModuleType) -> None:
    low, high = tool.wilson(90, 100)
    assert (round(low, 1), round(high, 1)) == (82.6, 94.5)
    assert tool.wilson(0, 10)[0] == 0.0 and tool.wilson(10, 10)[1] == 100.0
    low, high = tool.wilson(1080, 1200)
    assert high - low < 4.0


def test_a_sampled_report_counts_only_the_sample(
    tool: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    meta(tmp_path, "incli/domain/a.py", {"a1": 1, "a2": 0, "a3": 0, "a4": None})
    meta(tmp_path, "incli/storage/b.py", {"b1": 1, "b2": 33})
    sample = {"seed": 7, "population": 6, "patterns": ["a*", "b*"], "mutants": ["a1", "a2", "b1", "b2"]}
    (tmp_path / "mutants" / "sample.json").write_text(json.dumps(sample), encoding="utf-8")
    assert tool.report(show_diffs=False) == 0
    out = capsys.readouterr().out
    assert "A random sample of 4 of 6 mutants matching a* b* (seed 7)" in out
    rows = {line.split("  ")[0].strip(): line.split() for line in out.splitlines() if line.startswith("src/")}
    assert rows["src/incli/domain/a.py"][1:5] == ["1", "1", "0", "50.0%"]
    assert rows["src/incli/storage/b.py"][1:5] == ["1", "0", "1", "50.0%"]
    assert "a3" not in out and "a2" in out and "b2  (no test reaches it)" in out
