"""Who an escalation level notifies, refused in one line naming the target's key (issue 19: the mutation
run found these refusals untested)."""

from __future__ import annotations

from typing import Any

import pytest

from incli.domain.config import config_from_dict
from incli.errors import InvalidInput

WHERE = "escalation.p.levels[0].notify[0]: "
SHAPE = "write schedule:NAME or person:HANDLE, e.g. schedule:primary"


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("", "must be schedule:NAME or person:HANDLE"),
        ("  ", "must be schedule:NAME or person:HANDLE"),
        (5, "must be schedule:NAME or person:HANDLE"),
        ("team:x", f"'team:x': {SHAPE}"),
        ("schedule:", f"'schedule:': {SHAPE}"),
        ("person:Bob Smith", f"'person:Bob Smith': {SHAPE}"),
    ],
)
def test_a_target_that_is_not_a_schedule_or_a_person_is_refused(target: Any, message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        config_from_dict({"escalation": {"p": {"levels": [{"notify": [target], "wait": "5m"}]}}})
    assert str(refused.value) == WHERE + message
