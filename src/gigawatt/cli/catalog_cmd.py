"""`gigawatt catalog list|show|sources`: browse the sourced catalog."""

from __future__ import annotations

from typing import Any

import typer

from . import app
from ..numfmt import field, label
from .output import console, emit_json, table

catalog_app = typer.Typer(help="Browse the sourced catalog (accelerators, systems, sites, "
                          "models …).", no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")

#: columns shown by `catalog list TABLE` (all fields are in --json)
COLUMNS: dict[str, list[str]] = {
    # no year column: with estimated peaks (~) it would push the price past 80 columns;
    # the year is in `catalog show ID` and --json
    "accelerators": ["vendor", "bf16_tflop_per_s", "fp8_tflop_per_s",
                     "fp4_tflop_per_s", "hbm_gb", "hbm_tb_per_s", "tdp_w", "price_usd"],
    "systems": ["accelerator", "accelerators", "rack_power_kw", "price_usd", "cooling"],
    "fabrics": ["kind", "port_gbit_per_s", "latency_us", "cost_usd_per_port"],
    "coolings": ["pue"],
    "facilities": ["capex_usd_per_mw", "build_years", "land_m2_per_mw"],
    "power_sources": ["kind", "capex_usd_per_kw", "capacity_factor", "lead_time_years", "firm"],
    "electricity_prices": ["usd_per_mwh", "year"],
    "hbm_suppliers": ["country"],
    "sites": ["country", "region", "land_m2", "cooling"],
    "models": ["layers", "hidden", "heads", "kv_heads", "vocab", "seq_len", "activation"],
    "demands": ["model", "tokens_per_day", "prompt_tokens", "output_tokens"],
}


def row_json(cat: Any, row: Any) -> dict[str, Any]:
    """A row's facts plus the source of each fact."""
    facts = row.facts()
    cited = {k: cat.cite(row, k) for k in facts if k not in ("id", "name", "source", "notes",
                                                             "estimate")}
    return {**facts, "sources": cited}


@catalog_app.command("list")
def list_(
    table_name: str = typer.Argument("accelerators", metavar="TABLE",
                                     help="accelerators, systems, fabrics, coolings, "
                                     "facilities, power_sources, electricity_prices, "
                                     "hbm_suppliers, sites, models, demands"),
    json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """List a catalog table; estimates are marked with '~'."""
    from ..catalog import load_catalog

    cat = load_catalog()
    rows = cat.table(table_name.replace("-", "_"))
    if json:
        emit_json({"table": table_name, "rows": [row_json(cat, r) for r in rows.values()]})
        return
    cols = COLUMNS.get(table_name, [])
    body = [[r.id] + [("~" if r.source_of(c).estimate else "") + _cell(c, getattr(r, c))
                      for c in cols] for r in rows.values()]
    out = console()
    title = f"{table_name} ({len(rows)})" + (
        ": dense TFLOP/s by precision" if table_name == "accelerators" else "")
    out.print(table(title + "; ~ marks an estimate",
                    ["id"] + [HEADERS.get(c) or label(c, unit=True) for c in cols], body))
    out.print("sources of every value: gigawatt catalog show ID (or --json)")


#: short headers where the generated one would not fit 80 columns
HEADERS = {"bf16_tflop_per_s": "BF16", "fp8_tflop_per_s": "FP8",
           "fp4_tflop_per_s": "FP4", "hbm_gb": "HBM GB", "hbm_tb_per_s": "HBM TB/s",
           "tdp_w": "TDP W", "scaleup_domain": "scale-up", "price_usd": "price",
           "rack_power_kw": "rack kW", "port_gbit_per_s": "port Gbit/s",
           "cost_usd_per_port": "USD/port", "capex_usd_per_mw": "capex/MW",
           "capex_usd_per_kw": "capex/kW", "land_m2_per_mw": "land m²/MW",
           "usd_per_mwh": "USD/MWh", "lead_time_years": "lead years",
           "capacity_factor": "capacity factor", "tokens_per_day": "tokens/day"}


def _cell(name: str, v: Any) -> str:
    """A catalog value: units in the header, so the cell holds the number alone (money
    with its sign, years plain)."""
    from ..numfmt import money, number, year

    if isinstance(v, (list, dict)):
        return str(v)
    if name.endswith("year") or name == "year":
        return year(v) if isinstance(v, (int, float)) else str(v)
    if "usd" in name and isinstance(v, (int, float)):
        return money(v)
    return number(v)


@catalog_app.command("show")
def show(
    key: str = typer.Argument(..., metavar="ID", help="Row id, e.g. h100-sxm."),
    json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Show one catalog row with the source of every fact."""
    from ..catalog import load_catalog
    from ..errors import UnknownIdError

    cat = load_catalog()
    hits = [(t, rows[key]) for t, rows in cat.tables.items() if key in rows]
    if not hits:
        raise UnknownIdError("catalog id", key, [k for rows in cat.tables.values() for k in rows])
    tname, row = hits[0]
    data = row_json(cat, row)
    if json:
        emit_json({"table": tname, **data})
        return
    refs: dict[str, int] = {}
    body = []
    for k, v in data.items():
        if k not in data["sources"]:
            continue
        src = data["sources"][k]
        text = src["source"] + f" ({src['date']})"
        n = refs.setdefault(text, len(refs) + 1)
        body.append([k, field(k, v) if not isinstance(v, (list, dict)) else str(v),
                     f"[{n}]" + (" estimate" if src["estimate"] else "")])
    out = console()
    out.print(table(f"{row.name} [{tname}]", ["field", "value", "source"], body,
                    fields=["", "", ""]))
    for text, n in refs.items():
        out.print(f"[{n}] {text}", markup=False)
    if row.notes:
        out.print(row.notes, markup=False)


@catalog_app.command("sources")
def sources(json: bool = typer.Option(False, "--json", help="Print one JSON document.")) -> None:
    """List every document the catalog cites."""
    from ..catalog import load_catalog

    cat = load_catalog()
    data = [s.model_dump() for s in cat.sources.values()]
    if json:
        emit_json({"sources": data})
        return
    console().print(table(f"sources ({len(data)})", ["id", "title", "date", "kind"],
                          [[s["id"], s["title"][:80], s["date"], s["kind"]] for s in data]))
