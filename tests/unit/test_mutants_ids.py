"""Incident ids and finding one from part of it (domain/ids.py), as the mutation run (issue 19)
asked: the id's shape and alphabet, an exact id winning over longer ones containing it, an empty
query naming nothing, the "and N more" of a long ambiguity, and aliases (imported ids) only when
no id matches and only exactly."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime

import pytest

from incli.domain.ids import ALPHABET, match, new_id, random_part, resolve
from incli.errors import Conflict, NotFound

OPENED = datetime(2025, 1, 15, 23, 59, tzinfo=UTC)


def test_id_is_prefix_date_and_five_unambiguous_characters() -> None:
    assert not set(ALPHABET) & set("0o1li")
    assert len(set(ALPHABET)) == len(ALPHABET) == 31
    shape = re.compile(rf"^OPS-20250115-[{ALPHABET}]{{5}}$")
    ids = {new_id(OPENED, "OPS") for _ in range(200)}
    assert all(shape.match(i) for i in ids), ids
    assert re.match(rf"^INC-20250115-[{ALPHABET}]{{5}}$", new_id(OPENED))
    assert len(ids) > 190  # 31**5 possible parts: repeats in 200 draws mean a broken generator
    assert len(random_part(8)) == 8 and set(random_part(40)) <= set(ALPHABET)


IDS = ["INC-20250115-abcde", "INC-20250115-abcdef", "INC-20250116-zzzzz"]


def test_exact_id_wins_over_ids_containing_it() -> None:
    assert match(" inc-20250115-ABCDE ", IDS) == ["INC-20250115-abcde"]
    assert match("20250115", reversed(IDS)) == ["INC-20250115-abcde", "INC-20250115-abcdef"]
    assert match("ZZZ", IDS) == ["INC-20250116-zzzzz"]


@pytest.mark.parametrize("query", ["", "   "])
def test_empty_query_names_nothing(query: str) -> None:
    assert match(query, IDS) == []
    with pytest.raises(NotFound):
        resolve(query, IDS, lambda: [("", IDS[0]), ("  ", IDS[1])])


def test_no_match_and_ambiguity_messages() -> None:
    with pytest.raises(NotFound, match=r"^no incident matches 'nope'; see inc list$"):
        resolve("nope", IDS)
    with pytest.raises(Conflict) as refused:
        resolve("20250115", IDS)
    assert str(refused.value) == "'20250115' is ambiguous: it matches INC-20250115-abcde, INC-20250115-abcdef"


def test_long_ambiguity_shows_ten_and_counts_the_rest() -> None:
    many = [f"INC-20250115-a{n:02d}" for n in range(12)]
    with pytest.raises(Conflict) as refused:
        resolve("a", many)
    assert str(refused.value) == f"'a' is ambiguous: it matches {', '.join(many[:10])} and 2 more"
    with pytest.raises(Conflict) as eleven:
        resolve("a", many[:11])
    assert str(eleven.value).endswith(f"{many[9]} and 1 more")
    with pytest.raises(Conflict) as ten:
        resolve("a", many[:10])
    assert str(ten.value) == f"'a' is ambiguous: it matches {', '.join(many[:10])}"


def test_aliases_are_asked_only_when_no_id_matches() -> None:
    def never() -> Iterable[tuple[str, str]]:
        raise AssertionError("aliases read although an id matched")

    assert resolve("abcdef", IDS, never) == "INC-20250115-abcdef"


def test_an_alias_counts_only_exactly() -> None:
    aliases = [("PD-Q1W2", IDS[2]), ("pd-q1w2 ", IDS[2]), ("OG-77", IDS[0])]
    assert resolve("  pd-Q1W2", IDS, lambda: aliases) == IDS[2]
    with pytest.raises(NotFound):
        resolve("PD-Q1", IDS, lambda: aliases)
    with pytest.raises(Conflict, match="ambiguous"):
        resolve("og-77", IDS, lambda: [("OG-77", IDS[0]), ("og-77", IDS[1])])
