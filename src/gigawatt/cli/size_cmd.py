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
    json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Size a deployment of N accelerators: systems, racks, IT and facility MW, floor, capex
    split, annual energy and opex."""
    from ..catalog import load_catalog
    from ..errors import ValidationError
    from ..plan.sizing import size as size_fn

    if count < 1:
        raise ValidationError(f"--count must be >= 1 (got {count})", field="count")
    r = size_fn(load_catalog(), accelerator, count, site, pue=pue)
    doc = r.to_dict()
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
