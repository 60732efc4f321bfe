"""The report in a real browser: Debian's headless Chromium, started by the test itself.

Skipped, with the reason, when Chromium is not installed (``apt-get install chromium``).
Set INC_SCREENSHOTS=DIR to keep the screenshots for a person to look at.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import inc

HOSTILE = "<script>alert(1)</script>"


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


CHROMIUM = _chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get install chromium); browser checks skipped"
)


def chromium(profile: Path, *args: str) -> subprocess.Popen[bytes]:
    assert CHROMIUM
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        *args,
    ]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)


def finish(process: subprocess.Popen[bytes]) -> str:
    out, _ = process.communicate(timeout=90)
    assert process.returncode == 0, f"chromium exited with {process.returncode}"
    return out.decode("utf-8", "replace")


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    os.environ["TZ"] = "UTC"
    time.tzset()
    base = tmp_path_factory.mktemp("browser")
    repo = base / "repo"
    assert inc("init", repo).code == 0
    hostile = inc(
        "open",
        HOSTILE,
        "-s",
        "SEV1",
        "--service",
        "checkout-api",
        "--at",
        "2025-01-15T14:30:00+00:00",
        "--by",
        "alice",
        root=repo,
    ).stdout.strip()
    inc(
        "note",
        hostile,
        "<img src=x onerror=alert(2)> pool at 100%",
        "--at",
        "2025-01-15T14:34:00Z",
        "--by",
        "bob",
        root=repo,
    )
    inc("resolve", hostile, "--at", "2025-01-15T15:20:00+00:00", "--by", "alice", root=repo)
    other = inc(
        "open", "Search results slow in EU region", "-s", "SEV3", "--at", "2025-02-03T09:00:00+00:00", root=repo
    ).stdout.strip()
    inc("resolve", other, "--at", "2025-02-03T11:30:00+00:00", root=repo)
    index = inc("report", "-o", str(base / "site"), root=repo).stdout.strip()
    return Path(index), hostile


def test_hostile_title_is_text_in_the_browser_and_nothing_runs(site: tuple[Path, str], tmp_path: Path) -> None:
    index, hostile = site
    page = index.parent / "incidents" / f"{hostile}.html"
    runs = {
        "index": chromium(tmp_path / "p1", "--dump-dom", index.as_uri()),
        "incident": chromium(tmp_path / "p2", "--dump-dom", page.as_uri()),
        "metrics": chromium(tmp_path / "p3", "--dump-dom", (index.parent / "metrics.html").as_uri()),
    }
    dom = {name: finish(process) for name, process in runs.items()}
    for name in ("index", "incident"):
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom[name], name
        assert "<script" not in dom[name].lower(), name
    assert "&lt;img src=x onerror=alert(2)&gt; pool at 100%" in dom["incident"]
    assert "<img" not in dom["incident"]
    assert f'href="incidents/{hostile}.html"' in dom["index"]
    assert dom["metrics"].count("<svg") == 6  # each chart drawn wide and narrow (for a phone)


def test_screenshots_desktop_and_phone(site: tuple[Path, str], tmp_path: Path) -> None:
    index, hostile = site
    keep = Path(os.environ["INC_SCREENSHOTS"]) if os.environ.get("INC_SCREENSHOTS") else tmp_path
    keep.mkdir(parents=True, exist_ok=True)
    page = index.parent / "incidents" / f"{hostile}.html"
    shots = {
        keep / "index-desktop.png": ("1280,900", index),
        keep / "incident-phone.png": ("390,1600", page),
        keep / "metrics-desktop.png": ("1280,1600", index.parent / "metrics.html"),
    }
    runs = [
        chromium(tmp_path / f"s{n}", f"--window-size={size}", f"--screenshot={shot}", target.as_uri())
        for n, (shot, (size, target)) in enumerate(shots.items())
    ]
    for process in runs:
        finish(process)
    for shot, (size, _target) in shots.items():
        width, height = (int(v) for v in size.split(","))
        assert png_size(shot) == (width, height), shot
        assert shot.stat().st_size > 10_000, f"{shot} looks blank"
