"""The plan's tables for CSV files and the report (pandas DataFrames, units in column
names)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..numfmt import with_units

#: table name -> title in the report
TITLES = {
    "phases": "Phases: budget, spend, fleet and compute at each phase's end",
    "builds": "Build-out by year, site and accelerator",
    "by_phase": "Build-out by phase, site, vendor and accelerator (installed in the phase; "
                "fleet, power and compute at its end)",
    "sites": "Sites by year: load, halls, power limit, land",
    "power": "Power capacity and energy by year, site and source",
    "supply": "Power supply by year and site: grid, on-site firm and battery MW, energy "
              "cost per MWh, emissions per MWh, load shed when the grid or the largest "
              "on-site unit trips, hours of battery cover",
    "costs": "Capex and opex by year (USD)",
    "fleet": "Active fleet by year",
    "hbm": "HBM demand and supply by year and supplier (GB)",
    "training": ("Time to train each reference workload at each phase's end: placed on the "
                 "site and accelerator type that trains it soonest, wall clock with the "
                 "ETTR of that job size"),
    "binding": "Binding constraints with their value per unit (LP duals)",
    "relaxations": "Relaxed limits",
    "accelerators": "Accelerator options: price, power, MFU and effective FLOP/s",
}


def plan_tables(result: Any) -> dict[str, pd.DataFrame]:
    """Every table of a :class:`gigawatt.plan.PlanResult`, by name."""
    out = {name: result.to_frame(name) for name in TITLES
           if name not in ("binding", "relaxations")}
    out["binding"] = pd.DataFrame(
        [{"constraint": b["constraint"], "where": _where(b["index"]),
          "value_per_unit": b["value_per_unit"], "per": b["rhs_unit"],
          "objective_unit": b["objective_unit"]} for b in result.binding],
        columns=["constraint", "where", "value_per_unit", "per", "objective_unit"])
    out["relaxations"] = pd.DataFrame(
        [{"constraint": r["constraint"], "where": _where(r["index"]), "amount": r["amount"],
          "unit": r["unit"]} for r in result.relaxations],
        columns=["constraint", "where", "amount", "unit"])
    for df in out.values():
        with_units(df)
    return out


def comparison_table(results: list[Any]) -> pd.DataFrame:
    """One row per total, one column per scenario, then for each scenario after the first
    its difference from the first (``difference: B`` = B - A) and the relative change."""
    first = results[0]
    rows = []
    for key in first.totals:
        row = {"total": key}
        for r in results:
            row[r.scenario] = r.totals.get(key)
        for r in results[1:]:
            a, b = first.totals.get(key), r.totals.get(key)
            diff = b - a if a is not None and b is not None else None
            row[f"difference: {r.scenario}"] = diff
            row[f"change: {r.scenario}"] = (f"{diff / a:+.1%}" if diff is not None and a
                                            else "–")
        rows.append(row)
    return pd.DataFrame(rows)


def _where(index: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in index.items())
