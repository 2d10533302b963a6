"""Regenerate the generated parts of docs/: docs/validation.md from the validation data,
docs/scenarios.md from the scenario schema, then every worked example in README.md and
docs/*.md from a real run (scripts/gen_examples.py, which also writes the manifest that
tests/unit/test_docs_current.py checks). `make docs` runs this.

Each area has a script `scripts/validation_<area>.py` that prints one markdown section
(its per-row table of predicted vs published values, produced by the same code the
validation tests run). This script runs them in order and writes docs/validation.md.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AREAS = ["calibration", "catalog", "training", "sharded", "fabric", "inference", "ops",
         "deploy", "risk", "frontier", "finance"]

HEADER = """# Validation

Every number below is produced by `python scripts/gen_docs.py` from the same code the
validation tests in `tests/validation/` run; each case names its published source. Misses
are reported as misses.
"""


def main() -> None:
    parts = [HEADER]
    for area in AREAS:
        script = ROOT / "scripts" / f"validation_{area}.py"
        if script.exists():
            out = subprocess.run([sys.executable, str(script)], check=True,
                                 capture_output=True, text=True, cwd=ROOT).stdout
            parts.append(out.strip() + "\n")
    (ROOT / "docs" / "validation.md").write_text("\n".join(parts), encoding="utf-8")
    print("wrote docs/validation.md")
    subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_scenario_reference.py")],
                   check=True, cwd=ROOT)
    subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_examples.py")], check=True,
                   cwd=ROOT)


if __name__ == "__main__":
    main()
