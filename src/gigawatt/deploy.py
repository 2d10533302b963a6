"""What N accelerators take: systems, racks, power, floor, land, capex and opex.

One function used everywhere a count of accelerators becomes a facility: ``gigawatt
size``, serving-capacity sizing and the build-out planner. Pure arithmetic on catalog
facts; every input is a sourced catalog value.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from .catalog import Catalog
from .errors import ValidationError
from .fabric import fabric_spec, size_fabric

HOURS_PER_YEAR = 8760.0
DEFAULT_FACILITY = "ai-hall"
DEFAULT_REGION = "us-average"


@dataclass(frozen=True)
class Deployment:
    """A sized deployment of one accelerator type (units in field names)."""

    accelerator: str
    count: int
    system: str
    systems: int
    racks: int
    it_power_mw: float
    facility_power_mw: float
    pue: float
    floor_m2: float
    land_m2: float
    capex_usd: dict[str, float]
    energy_mwh_per_year: float
    electricity_usd_per_mwh: float
    opex_usd_per_year: dict[str, float]
    site: str | None = None
    sources: dict[str, Any] = field(default_factory=dict)
    network: dict[str, Any] = field(default_factory=dict)

    @property
    def capex_total_usd(self) -> float:
        return self.capex_usd["total"]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def unit_costs(catalog: Catalog, accelerator: str) -> dict[str, float]:
    """Per-accelerator capex of hardware and network, and IT power, from the catalog.

    Hardware is the reference system's price shared over its accelerators (the system
    price includes them), network one scale-out port per accelerator per port-bandwidth
    share of the fabric.
    """
    acc = catalog.accelerator(accelerator)
    system = catalog.system(acc.system)
    fabric = catalog.get("fabrics", system.fabric)
    ports = acc.scaleout_gbit_per_s / fabric.port_gbit_per_s
    return {
        "hardware_usd": system.price_usd / system.accelerators,
        "network_usd": ports * fabric.cost_usd_per_port,
        "it_power_w": acc.all_in_power_w,
    }


def size_deployment(catalog: Catalog, accelerator: str, count: int, site: str | None = None,
                    *, pue: float | None = None, electricity_usd_per_mwh: float | None = None,
                    facility: str = DEFAULT_FACILITY) -> Deployment:
    """Size a deployment of ``count`` accelerators at a site (or a generic US site).

    Parameters
    ----------
    catalog : the loaded catalog.
    accelerator : accelerator id.
    count : number of accelerators (>= 1).
    site : catalog site id; sets PUE (its cooling) and the electricity price (its region).
    pue, electricity_usd_per_mwh : overrides.
    facility : catalog facility id (hall capex, land, opex fractions, average load).
    """
    if count < 1:
        raise ValidationError(f"count must be >= 1 (got {count})", field="count")
    acc = catalog.accelerator(accelerator)
    system = catalog.system(acc.system)
    fac = catalog.get("facilities", facility)
    if site is not None:
        s = catalog.site(site)
        region, cooling = s.region, s.cooling
    else:
        region, cooling = DEFAULT_REGION, system.cooling
    pue = pue if pue is not None else catalog.get("coolings", cooling).pue
    price = (electricity_usd_per_mwh if electricity_usd_per_mwh is not None
             else catalog.get("electricity_prices", region).usd_per_mwh)

    unit = unit_costs(catalog, accelerator)
    systems = math.ceil(count / system.accelerators)
    racks = math.ceil(systems / system.systems_per_rack)
    it_mw = count * unit["it_power_w"] / 1e6
    fac_mw = it_mw * pue
    hardware = count * unit["hardware_usd"]
    spec = fabric_spec(catalog, acc)
    if spec is not None:      # the bill of materials of the fabric this count needs
        topo = size_fabric(spec, count).to_dict()
        network = topo["capex_usd"]["total"]
    else:
        topo = {"fabric": system.fabric, "basis": "per-port cost (the fabric names no "
                "switch)", "capex_usd": {"total": count * unit["network_usd"]}}
        network = count * unit["network_usd"]
    hall = it_mw * fac.capex_usd_per_mw
    capex = {"accelerators_and_systems": hardware, "network": network, "data_hall": hall}
    capex["total"] = sum(capex.values())
    energy = fac_mw * fac.average_load_fraction * HOURS_PER_YEAR
    opex = {"energy": energy * price,
            "facility_maintenance": hall * fac.opex_fraction_per_year,
            "hardware_support": (hardware + network) * fac.hardware_support_fraction_per_year}
    opex["total"] = sum(opex.values())
    sources = {
        "all_in_power_w": catalog.cite(acc, "all_in_power_w"),
        "system_price_usd": catalog.cite(system, "price_usd"),
        "pue": catalog.cite(catalog.get("coolings", cooling), "pue"),
        "capex_usd_per_mw": catalog.cite(fac, "capex_usd_per_mw"),
        "electricity_usd_per_mwh": catalog.cite(catalog.get("electricity_prices", region),
                                                "usd_per_mwh"),
    }
    return Deployment(
        accelerator=accelerator, count=count, system=system.id, systems=systems, racks=racks,
        it_power_mw=it_mw, facility_power_mw=fac_mw, pue=pue,
        floor_m2=racks * system.floor_m2_per_rack, land_m2=it_mw * fac.land_m2_per_mw,
        capex_usd=capex, energy_mwh_per_year=energy, electricity_usd_per_mwh=price,
        opex_usd_per_year=opex, site=site, sources=sources, network=topo)
