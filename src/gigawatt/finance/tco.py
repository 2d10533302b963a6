"""Fully loaded cost of one deployment (``gigawatt size``): the yearly total cost of
ownership and the rental price at which it pays back, from catalog capex and opex and a
stated cost of capital.

Capital is charged as a level annuity (capital recovery factor) over each asset class's
life: IT (accelerators, systems and network) over ``it_life_years``, the hall and power
plant over ``facility_life_years``; opex is the deployment's yearly opex.
"""

from __future__ import annotations

from typing import Any

from .schedules import crf

HOURS_PER_YEAR = 8760.0


def annual_tco_usd(d: Any, rate: float, it_life_years: float, facility_life_years: float
                   ) -> dict[str, float]:
    """Yearly cost of a :class:`gigawatt.deploy.Deployment`, USD: ``it`` and ``facility``
    capital charges, ``opex`` and their ``total``."""
    c = d.capex_usd
    it = (c["accelerators_and_systems"] + c["network"]) * crf(rate, it_life_years)
    fac = (c["data_hall"] + c.get("power_plant", 0.0)) * crf(rate, facility_life_years)
    opex = d.opex_usd_per_year["total"]
    return {"it": it, "facility": fac, "opex": opex, "total": it + fac + opex}


def breakeven_usd_per_gpu_hour(d: Any, rate: float, it_life_years: float,
                               facility_life_years: float, utilisation: float = 1.0
                               ) -> float:
    """The rental price per accelerator-hour at which the deployment's NPV at ``rate``
    over the IT life is zero (a level price, ``utilisation`` of the hours billed): the
    yearly total cost over the billed hours."""
    total = annual_tco_usd(d, rate, it_life_years, facility_life_years)["total"]
    return total / (d.count * HOURS_PER_YEAR * utilisation)


__all__ = ["annual_tco_usd", "breakeven_usd_per_gpu_hour"]
