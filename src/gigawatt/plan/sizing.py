"""``gigawatt size``: what N accelerators take, including the power plant.

:func:`gigawatt.deploy.size_deployment` sizes systems, racks, IT and facility power,
floor, hardware, network and data-hall capex, energy and opex; this adds the capex of
the power that feeds the facility, at the cheapest firm power source the site allows
(the grid connection at most sites), as the planner prices power.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..catalog import Catalog
from ..deploy import Deployment, size_deployment


@dataclass(frozen=True)
class SizedDeployment:
    """A :class:`~gigawatt.deploy.Deployment` plus the power plant that feeds it."""

    deployment: Deployment
    power_source: str | None
    power_plant_usd: float

    @property
    def capex_usd(self) -> dict[str, float]:
        """Capex split: accelerators and systems, network, data hall, power plant, total."""
        parts = {k: v for k, v in self.deployment.capex_usd.items() if k != "total"}
        parts["power_plant"] = self.power_plant_usd
        parts["total"] = sum(parts.values())
        return parts

    def to_dict(self) -> dict[str, Any]:
        """The ``gigawatt size --json`` document."""
        d = self.deployment
        return {"accelerator": d.accelerator, "count": d.count, "site": d.site,
                "system": d.system, "systems": d.systems, "racks": d.racks,
                "it_power_mw": d.it_power_mw, "facility_power_mw": d.facility_power_mw,
                "pue": d.pue, "floor_m2": d.floor_m2, "land_m2": d.land_m2,
                "capex_usd": self.capex_usd, "power_source": self.power_source,
                "energy_mwh_per_year": d.energy_mwh_per_year,
                "electricity_usd_per_mwh": d.electricity_usd_per_mwh,
                "opex_usd_per_year": d.opex_usd_per_year, "network": d.network,
                "sources": d.sources}


def firm_power_source(catalog: Catalog, site: str | None) -> str | None:
    """The cheapest firm, non-storage power source a site allows (any site: the grid)."""
    table = catalog.table("power_sources")
    allowed = catalog.site(site).power_sources if site else (["grid"] if "grid" in table
                                                              else list(table))
    firm = [table[p] for p in allowed if p in table and table[p].firm
            and table[p].kind != "battery"]
    return min(firm, key=lambda p: p.capex_usd_per_kw).id if firm else None


def size(catalog: Catalog, accelerator: str, count: int, site: str | None = None, *,
         pue: float | None = None) -> SizedDeployment:
    """Size ``count`` accelerators at ``site`` (or a generic US site), with power plant.

    Parameters
    ----------
    catalog : the loaded catalog.
    accelerator : accelerator id.
    count : accelerators (>= 1).
    site : catalog site id (PUE from its cooling, electricity price from its region).
    pue : override of the PUE.
    """
    dep = size_deployment(catalog, accelerator, count, site, pue=pue)
    source = firm_power_source(catalog, site)
    plant = 0.0
    if source is not None:
        per_kw = catalog.get("power_sources", source).capex_usd_per_kw
        plant = dep.facility_power_mw * 1e3 * per_kw
    return SizedDeployment(deployment=dep, power_source=source, power_plant_usd=plant)
