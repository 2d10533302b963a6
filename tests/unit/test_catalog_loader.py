"""Catalog loading, lookups, provenance and the errors of bad catalog files."""

from __future__ import annotations

from pathlib import Path

import pytest

from gigawatt.catalog import load_catalog_from
from gigawatt.catalog.loader import DATA_DIR
from gigawatt.errors import UnknownIdError, ValidationError

SOURCES = """
sources:
  - {id: doc, title: "A datasheet", date: "2024-01"}
"""
ACC = """
accelerators:
  - id: x1
    name: X1
    source: doc
    vendor: acme
    family: hopper
    year: 2024
    bf16_tflop_per_s: 100
    hbm_gb: 10
    hbm_tb_per_s: 1
    hbm_generation: HBM3
    hbm_suppliers: [sk-hynix]
    tdp_w: 100
    scaleup_domain: 8
    scaleup_gb_per_s: 100
    scaleout_gbit_per_s: 100
    price_usd: {value: 1000, source: doc, estimate: true}
    all_in_power_w: 150
    system: s1
"""


def write(tmp: Path, text: str) -> Path:
    p = tmp / "cat.yaml"
    p.write_text(text)
    return p


def builtin_plus(tmp: Path, text: str) -> list[Path]:
    return [p for p in DATA_DIR.glob("*.yaml")] + [write(tmp, text)]


def test_builtin_catalog_loads_and_looks_up(catalog):
    h100 = catalog.accelerator("h100-sxm")
    assert h100.bf16_tflop_per_s == 989
    assert catalog.system(h100.system).accelerator == "h100-sxm"
    assert catalog.to_frame("accelerators").loc["h100-sxm", "hbm_gb"] == 80


def test_unknown_id_suggests_nearest(catalog):
    with pytest.raises(UnknownIdError) as info:
        catalog.accelerator("h100")
    assert "h100-sxm" in info.value.suggestions


def test_every_fact_cites_a_known_source(catalog):
    for table, rows in catalog.tables.items():
        for row in rows.values():
            for fact in row.facts():
                if fact in ("id", "name", "source", "notes", "estimate"):
                    continue
                cited = catalog.cite(row, fact)
                assert cited["source"] and cited["date"], (table, row.id, fact)


def test_fact_level_source_and_estimate(tmp_path):
    cat = load_catalog_from(builtin_plus(tmp_path, SOURCES + ACC.replace("system: s1",
                                                                         "system: hgx-h100")))
    x1 = cat.accelerator("x1")
    assert x1.price_usd == 1000
    assert x1.source_of("price_usd").estimate is True
    assert x1.source_of("hbm_gb").estimate is False


def test_unknown_reference_names_file_and_field(tmp_path):
    with pytest.raises(UnknownIdError) as info:
        load_catalog_from(builtin_plus(tmp_path, SOURCES + ACC))
    assert info.value.field == "accelerators.x1.system"
    assert info.value.file.endswith("cat.yaml") and info.value.line is not None


def test_unknown_source_is_refused(tmp_path):
    text = SOURCES + ACC.replace("system: s1", "system: hgx-h100").replace(
        "source: doc\n    vendor", "source: nodoc\n    vendor")
    with pytest.raises(UnknownIdError, match="unknown source 'nodoc'"):
        load_catalog_from(builtin_plus(tmp_path, text))


def test_out_of_range_value_names_field_and_line(tmp_path):
    text = SOURCES + ACC.replace("tdp_w: 100", "tdp_w: -5")
    with pytest.raises(ValidationError) as info:
        load_catalog_from([write(tmp_path, text)])
    assert info.value.field == "accelerators[0].tdp_w"
    assert "allowed: > 0" in info.value.message
    assert "tdp_w: -5" in (tmp_path / "cat.yaml").read_text().splitlines()[info.value.line - 1]


def test_inconsistent_values(tmp_path):
    text = SOURCES + ACC.replace("all_in_power_w: 150", "all_in_power_w: 50")
    with pytest.raises(ValidationError, match="must be at least tdp_w"):
        load_catalog_from([write(tmp_path, text)])


def test_duplicate_id(tmp_path):
    rows = ACC.split("accelerators:\n", 1)[1]
    with pytest.raises(ValidationError, match="duplicate id 'x1'"):
        load_catalog_from([write(tmp_path, SOURCES + ACC + rows)])


def test_unknown_table(tmp_path):
    with pytest.raises(UnknownIdError, match="catalog table 'acelerators'"):
        load_catalog_from([write(tmp_path, SOURCES + ACC.replace("accelerators:",
                                                                 "acelerators:"))])
