"""The workbench's levers: what a planner may move, and how a setting becomes a scenario.

A lever setting is a JSON-safe dict (what the page sends); :func:`apply_levers` writes it
into a copy of the scenario, which is validated like any scenario file, so a variant the
workbench plans is exactly the YAML it saves (:func:`scenario_yaml`).

Keys (each optional; absent means the scenario's own value):

* ``budget_usd``: phase id -> capex budget of the phase, USD;
* ``price_usd``: accelerator id -> unit price, USD;
* ``supply_factor``: accelerator id -> multiplier on its supply caps (0: none bought);
* ``vendor_max_share``: largest share of the fleet from one vendor (null: no cap);
* ``site_power_factor``: site id -> multiplier on its power schedule;
* ``site_delay_years``: site id -> whole years its power schedule slips;
* ``hbm_factor``: HBM supplier id -> multiplier on its supply;
* ``failure_rate_factor``: multiplier on the fleet's failure rate (goodput);
* ``objective``: ``max_effective_compute`` or ``min_cost``.
"""

from __future__ import annotations

import math
from typing import Any

from ..catalog import Catalog
from ..errors import ValidationError
from ..scenario import Scenario

OBJECTIVES = ("max_effective_compute", "min_cost")
#: lever ranges: (low, high) of each multiplier / delay
FACTOR_RANGE = (0.0, 3.0)
DELAY_RANGE = (0, 10)
FAILURE_RANGE = (0.1, 10.0)


def lever_space(sc: Scenario, cat: Catalog) -> dict[str, Any]:
    """The levers of a scenario with their current values and ranges (for the page)."""
    return {
        "budget_usd": [{"id": p.id, "value": p.budget_usd, "years": [p.start_year, p.end_year]}
                       for p in sc.phases],
        "price_usd": [{"id": o.accelerator, "vendor": cat.accelerator(o.accelerator).vendor,
                       "value": o.price_usd or cat.accelerator(o.accelerator).price_usd}
                      for o in sc.accelerators],
        "supply_factor": [{"id": o.accelerator, "value": 1.0, "capped": bool(
            o.supply_cap_by_year)} for o in sc.accelerators],
        "vendor_max_share": sc.vendor_max_share,
        "site_power_factor": [{"id": s.site, "value": 1.0} for s in sc.sites],
        "site_delay_years": [{"id": s.site, "value": 0} for s in sc.sites],
        "hbm_factor": [{"id": h, "value": 1.0} for h in sc.hbm_supply_gb_by_year],
        "failure_rate_factor": 1.0, "objective": sc.objective,
        "ranges": {"factor": FACTOR_RANGE, "delay_years": DELAY_RANGE,
                   "failure_rate_factor": FAILURE_RANGE, "objectives": OBJECTIVES}}


def _number(field: str, value: Any, lo: float, hi: float) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or not lo <= value <= hi:
        raise ValidationError(f"{value!r} is out of range; allowed: {lo:g}..{hi:g}",
                              field=f"levers.{field}")
    return float(value)


def _ids(field: str, table: Any, known: set[str]) -> dict[str, Any]:
    if table is None:
        return {}
    if not isinstance(table, dict):
        raise ValidationError("expected a mapping of id -> value", field=f"levers.{field}")
    unknown = sorted(set(table) - known)
    if unknown:
        raise ValidationError(f"unknown id {unknown[0]!r}; allowed: {', '.join(sorted(known))}",
                              field=f"levers.{field}")
    return table


def _shifted(by_year: dict[int, float], factor: float, delay: int) -> dict[int, float]:
    return {int(y) + delay: float(mw) * factor for y, mw in by_year.items()}


def apply_levers(sc: Scenario, cat: Catalog, levers: dict[str, Any]) -> Scenario:
    """A copy of ``sc`` with ``levers`` applied, validated as a scenario.

    Raises
    ------
    ValidationError
        An unknown key or id, or a value outside its range (the message names the lever).
    """
    known = {"budget_usd", "price_usd", "supply_factor", "vendor_max_share",
             "site_power_factor", "site_delay_years", "hbm_factor", "failure_rate_factor",
             "objective", "name"}
    extra = sorted(set(levers) - known)
    if extra:
        raise ValidationError(f"unknown lever {extra[0]!r}; allowed: {', '.join(sorted(known))}",
                              field="levers")
    doc = sc.model_dump(mode="python")
    budgets = _ids("budget_usd", levers.get("budget_usd"), {p.id for p in sc.phases})
    for p in doc["phases"]:
        if p["id"] in budgets:
            p["budget_usd"] = _number(f"budget_usd.{p['id']}", budgets[p["id"]], 1.0, 1e14)
    accs = {o.accelerator for o in sc.accelerators}
    prices = _ids("price_usd", levers.get("price_usd"), accs)
    supply = _ids("supply_factor", levers.get("supply_factor"), accs)
    for o in doc["accelerators"]:
        a = o["accelerator"]
        if a in prices:
            o["price_usd"] = _number(f"price_usd.{a}", prices[a], 1.0, 1e8)
        if a in supply:
            f = _number(f"supply_factor.{a}", supply[a], *FACTOR_RANGE)
            o["supply_cap_by_year"] = {y: int(round(n * f))
                                       for y, n in o["supply_cap_by_year"].items()}
    if "vendor_max_share" in levers:
        v = levers["vendor_max_share"]
        doc["vendor_max_share"] = None if v is None else _number("vendor_max_share", v, 0.05, 1.0)
    sites = {s.site for s in sc.sites}
    factor = _ids("site_power_factor", levers.get("site_power_factor"), sites)
    delay = _ids("site_delay_years", levers.get("site_delay_years"), sites)
    for s in doc["sites"]:
        sid = s["site"]
        if sid in factor or sid in delay:
            f = _number(f"site_power_factor.{sid}", factor.get(sid, 1.0), *FACTOR_RANGE)
            d = int(_number(f"site_delay_years.{sid}", delay.get(sid, 0), *DELAY_RANGE))
            base = s["power_mw_by_year"] or cat.site(sid).power_mw_by_year
            s["power_mw_by_year"] = _shifted(base, f, d)
    hbm = _ids("hbm_factor", levers.get("hbm_factor"), set(sc.hbm_supply_gb_by_year))
    for h, by_year in doc["hbm_supply_gb_by_year"].items():
        if h in hbm:
            f = _number(f"hbm_factor.{h}", hbm[h], *FACTOR_RANGE)
            doc["hbm_supply_gb_by_year"][h] = {y: gb * f for y, gb in by_year.items()}
    if "objective" in levers:
        if levers["objective"] not in OBJECTIVES:
            raise ValidationError(f"{levers['objective']!r} is not allowed; allowed: "
                                  f"{', '.join(OBJECTIVES)}", field="levers.objective")
        doc["objective"] = levers["objective"]
    if "failure_rate_factor" in levers:
        _number("failure_rate_factor", levers["failure_rate_factor"], *FAILURE_RANGE)
    return Scenario.model_validate(doc)


def scenario_yaml(sc: Scenario, variant_id: str, note: str) -> str:
    """The scenario as YAML (``gigawatt plan --scenario FILE`` reads it back)."""
    import yaml

    doc = sc.model_dump(mode="json", exclude_none=True)
    doc["id"] = variant_id
    doc["description"] = (doc.get("description", "") + f"\n\nVariant: {note}").strip()
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)
