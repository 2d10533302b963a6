"""`gigawatt size`: what N accelerators take (systems, racks, power, floor, capex, opex)."""

from __future__ import annotations

from typing import Optional

import typer

from . import app
from ..numfmt import label
from .output import console, emit_json, table


@app.command("size")
def size(
    accelerator: str = typer.Option(..., "--accelerator", metavar="ID",
                                    help="Catalog accelerator id."),
    count: int = typer.Option(..., "--count", metavar="N", help="Number of accelerators."),
    site: Optional[str] = typer.Option(None, "--site", metavar="ID",
                                       help="Catalog site id (its PUE and electricity "
                                       "price); default: a generic US site."),
    pue: Optional[float] = typer.Option(None, "--pue", min=1.0, max=3.0,
                                        help="Override the PUE."),
    power_mix: bool = typer.Option(False, "--power-mix", help="Also choose the cheapest "
                                   "mix of grid and on-site power for the load at --site."),
    year: Optional[int] = typer.Option(None, "--year", min=2000, max=2100, help="With "
                                       "--power-mix: the year whose grid the site has "
                                       "(default: its latest stated)."),
    carbon_price: float = typer.Option(0.0, "--carbon-price", min=0, max=10_000,
                                       metavar="USD_PER_TCO2",
                                       help="With --power-mix: price per tCO2 emitted."),
    reserve_margin: float = typer.Option(0.0, "--reserve-margin", min=0, max=1,
                                         help="With --power-mix: firm capacity above the "
                                         "peak load, as a fraction of it."),
    n_plus_one: bool = typer.Option(True, "--n-plus-one/--no-n-plus-one",
                                    help="With --power-mix: keep the load when the largest "
                                    "on-site unit trips."),
    hourly: bool = typer.Option(False, "--hourly", help="With --power-mix: dispatch every "
                                "hour of the year instead of 4 representative days "
                                "(20-60 s instead of 20 ms)."),
    swing: bool = typer.Option(True, "--swing/--no-swing", help="With --power-mix: the "
                               "accelerators run one synchronous training job whose stalls "
                               "drop its power within seconds (--no-swing: serving)."),
    json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Size a deployment of N accelerators: systems, racks, IT and facility MW, floor, capex
    split, annual energy and opex; with --power-mix, how to power it at the site."""
    from ..catalog import load_catalog
    from ..errors import ValidationError
    from ..plan.sizing import size as size_fn

    if count < 1:
        raise ValidationError(f"--count must be >= 1 (got {count})", field="count")
    if power_mix and site is None:
        raise ValidationError("--power-mix needs --site (the site's grid and on-site "
                              "options)", field="site")
    cat = load_catalog()
    r = size_fn(cat, accelerator, count, site, pue=pue)
    doc = r.to_dict()
    mix = _power_mix(cat, accelerator, doc, site, year, carbon_price, reserve_margin,
                     n_plus_one, swing, hourly) if power_mix else None
    if mix is not None:
        doc["power_mix"] = mix.to_dict()
    if json:
        emit_json(doc)
        return
    out = console()
    out.print(f"[bold]{count:,} x {accelerator}[/bold] in {doc['system']} systems at "
              f"{site or 'a generic US site'} (PUE {doc['pue']:.2f})")
    out.print(table("deployment", ["", "value"], [
        ["systems", doc["systems"]], ["racks", doc["racks"]],
        ["it_power_mw", doc["it_power_mw"]], ["facility_power_mw", doc["facility_power_mw"]],
        ["floor_m2", doc["floor_m2"]], ["land_m2", doc["land_m2"]],
        ["energy_mwh_per_year", doc["energy_mwh_per_year"]]]))
    out.print(table("capex", ["part", "capex_usd"],
                    [[label(k), v] for k, v in doc["capex_usd"].items()]))
    net = doc["network"]
    if net.get("tiers"):
        out.print(table(f"network: {net['basis']['topology']} of {net['switch']}",
                        ["", "value"], [
                            ["tiers", net["tiers"]],
                            ["switches per tier", ", ".join(f"{x:,}" for x in
                                                            net["switches_per_tier"])],
                            ["switches", net["switches"]],
                            ["transceivers", net["transceivers"]],
                            ["cables", net["cables"]],
                            ["capex_usd switches", net["capex_usd"]["switches"]],
                            ["capex_usd optics and cables",
                             net["capex_usd"]["optics_and_cables"]],
                            ["power_mw (in the IT power)", net["power_mw"]],
                            ["max_hops / latency_us", f"{net['max_hops']} / "
                             f"{net['max_latency_us']:.2f}"]]))
    out.print(table("opex per year", ["part", "opex_usd_per_year"],
                    [[label(k), v] for k, v in doc["opex_usd_per_year"].items()]))
    if mix is not None:
        _print_mix(out, mix)


def _power_mix(cat, accelerator, doc, site, year, carbon_price, reserve_margin, n_plus_one,
               swing, hourly):
    from ..deploy import DEFAULT_FACILITY
    from ..ops.power_swing import accelerator_swing_fraction
    from ..plan.power_mix import power_mix

    mw = doc["facility_power_mw"]
    load = float(cat.get("facilities", DEFAULT_FACILITY).average_load_fraction)
    return power_mix(cat, site, mw, average_load_fraction=load, year=year,
                     swing_mw=mw * accelerator_swing_fraction(cat, accelerator) if swing
                     else 0.0, carbon_price_usd_per_tco2=carbon_price,
                     reserve_margin=reserve_margin, n_plus_one=n_plus_one,
                     **({"representative_days": 365, "hours_per_block": 1} if hourly else {}))


def _print_mix(out, mix) -> None:
    t = mix.totals
    grid = ("unlimited" if mix.grid_limit_mw is None else f"{mix.grid_limit_mw:,.0f} MW")
    when = "its latest stated" if mix.year is None else str(mix.year)
    out.print(f"[bold]power mix at {mix.site}[/bold] ({when} grid: {grid}; swing "
              f"{mix.swing_mw:,.0f} MW, grid ramp "
              f"{'not limited' if mix.ramp_mw_per_min is None else f'{mix.ramp_mw_per_min:g} MW/min'})")
    src = mix.sources[mix.sources.capacity_mw > 1e-3]
    out.print(table("supply", ["source", "capacity_mw", "energy_gwh", "capex_usd",
                               "annual_cost_usd", "emissions_tco2", "lead_time_years"],
                    [[p, r.capacity_mw, r.energy_gwh, r.capex_usd, r.annual_cost_usd,
                      r.emissions_tco2, r.lead_time_years] for p, r in src.iterrows()]))
    out.print(table("power totals", ["", "value"], [
        ["all-in cost per MWh", f"${t['all_in_usd_per_mwh']:,.1f}"],
        ["annual_cost_usd", t["annual_cost_usd"]], ["capex_usd", t["capex_usd"]],
        ["emissions_tco2 per year", t["emissions_tco2"]],
        ["tCO2 per MWh", f"{t['emissions_t_per_mwh']:.3f}"],
        ["firm_mw (at availability)", t["firm_mw"]],
        ["N+1 unit held, MW", t["n_plus_one_mw"]],
        ["swing the grid cannot follow, MW", t["ramp_shortfall_mw"]],
        ["shed_on_grid_trip_mw", t["shed_on_grid_trip_mw"]],
        ["battery cover, h", f"{t['battery_cover_h']:.2f}"]]))
    for b in mix.binding:
        out.print(f"  {b['message']}")
    for n in mix.notes:
        out.print(f"  note: {n}")

