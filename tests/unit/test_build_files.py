"""The set-up commands a newcomer runs: `make demo` installs the package alone (no dev
extras), `make test` says what it does about the browser and needs no root when one is
there."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _recipe(makefile: str, target: str) -> tuple[str, str]:
    m = re.search(rf"^{re.escape(target)}:(.*)\n((?:\t.*\n)*)", makefile, re.M)
    assert m, target
    return m.group(1), m.group(2)


def test_demo_installs_the_package_without_extras():
    mk = (ROOT / "Makefile").read_text()
    deps, _ = _recipe(mk, "demo")
    assert "$(BASE)" in deps and "$(DEV)" not in deps
    _, base = _recipe(mk, "$(BASE)")
    assert "pip install -q -e .\n" in base and "[dev" not in base
    _, dev = _recipe(mk, "$(DEV)")
    assert "[dev,ray]" in dev
    dry = subprocess.run(["make", "-n", "-B", "demo"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    assert "[dev" not in dry and "gigawatt plan" in dry


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="no /usr/bin/chromium")
def test_ensure_chromium_uses_an_installed_browser_without_root():
    r = subprocess.run(["bash", str(ROOT / "scripts" / "ensure-chromium.sh")],
                       capture_output=True, text=True)
    assert r.returncode == 0 and "using /usr/bin/chromium" in r.stderr


def test_ensure_chromium_says_what_it_installs():
    text = (ROOT / "scripts" / "ensure-chromium.sh").read_text()
    assert "playwright install" not in text.replace("never `playwright install`", "")
    assert "installing Debian's chromium package" in text and "skipped" in text
