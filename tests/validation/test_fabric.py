"""The fabric bill of materials reproduces the cost sheet the catalog cites (switch counts,
switch capex, optics and cables) within 5% at every published size from 512 to 524,288
GPUs (scripts/validation_fabric.py prints the table)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("validation_fabric",
                                               ROOT / "scripts" / "validation_fabric.py")
vf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(vf)
ROWS = vf.run()


@pytest.mark.parametrize("row", ROWS, ids=[str(r["gpus"]) for r in ROWS])
def test_row_within_tolerance(row):
    for key, err in row["error"].items():
        assert abs(err) <= vf.TOLERANCE, f"{row['gpus']} GPUs {key}: {err:+.1%}"


def test_524k_fabric_has_three_tiers_and_40960_switches():
    row = [r for r in ROWS if r["gpus"] == 524288][0]
    assert row["tiers"] == 3 and row["predicted"]["switches"] == 40960
