"""The status page's default components: the catalog's services marked ``public: true``."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import inc


def components(out: Path) -> dict[str, str]:
    summary = json.loads((out / "api/v2/summary.json").read_text())
    return {c["name"]: c["status"] for c in summary["components"]}


def test_catalog_services_marked_public_are_the_components(repo: Path, tmp_path: Path) -> None:
    (repo / "catalog.yaml").write_text(
        "services:\n  checkout: {team: shop, public: true}\n  billing-batch: {team: finance}\n"
        "  search: {public: true}\n"
    )
    inc("open", "Pool exhausted", "-s", "SEV2", "--service", "checkout")
    inc("open", "Nightly job late", "-s", "SEV1", "--service", "billing-batch")
    out = tmp_path / "site"
    inc("statuspage", "-o", out)
    # billing-batch is internal: not a component, though its SEV1 still sets the overall state.
    assert components(out) == {"checkout": "partial_outage", "search": "operational"}
    assert json.loads(inc("catalog", "--json").stdout)


def test_without_public_services_the_incidents_name_the_components(repo: Path, tmp_path: Path) -> None:
    (repo / "catalog.yaml").write_text("services:\n  checkout: {team: shop}\n")
    inc("open", "Pool exhausted", "-s", "SEV3", "--service", "checkout")
    out = tmp_path / "site"
    inc("statuspage", "-o", out)
    assert components(out) == {"checkout": "degraded_performance"}


def test_public_must_be_true_or_false(repo: Path) -> None:
    (repo / "catalog.yaml").write_text("services:\n  checkout: {public: 'yes please'}\n")
    result = inc("validate", code=None)
    assert result.code != 0
    assert "services.checkout.public: must be true or false" in result.stdout + result.stderr
