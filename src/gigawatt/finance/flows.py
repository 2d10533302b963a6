"""What a solved plan spends, runs and serves by year, over the finance horizon (the
programme's years, then the years its last hardware keeps running).

Within the programme the figures are the planner's own accounting
(:func:`gigawatt.plan.accounting.cost_by_year`); after its last year nothing new is
built, accelerators retire ``hardware_life_years`` after installation, energy and
hardware support follow the fleet still running, hall and power-plant upkeep stays, and
inference serves what the remaining fleet can (the end year's service scaled by the
fleet still running; demand growth after the programme is not served).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..catalog import Catalog
from ..plan.inputs import PlanInputs
from ..plan.installed import HOURS_PER_YEAR
from ..plan.result import PlanResult

SECONDS_PER_YEAR = HOURS_PER_YEAR * 3600.0
#: relaxation family of the inference demand (plan.solve)
INFERENCE_SHORTFALL = "inference-mtok_per_s-lower"


@dataclass(frozen=True, eq=False)
class PlanFlows:
    """A plan's physical and money flows by year over the horizon (arrays over ``years``).

    Attributes
    ----------
    years : the horizon's years.
    end_year : the programme's last year (no builds after it).
    capex_usd : asset class -> capex by year (accelerators include systems and network).
    capex_by_site_usd : (asset class, site) -> capex by year, for site-specific leases.
    opex_energy_usd, opex_fixed_usd, opex_support_usd : energy; power-plant O&M and hall
        maintenance; hardware support, by year.
    accelerators : accelerators running (yearly average) by year.
    served_tokens : output tokens served by year.
    inference_accelerators : accelerators serving that inference by year (sized at peak).
    """

    years: np.ndarray
    end_year: int
    capex_usd: dict[str, np.ndarray]
    capex_by_site_usd: dict[tuple[str, str], np.ndarray]
    opex_energy_usd: np.ndarray
    opex_fixed_usd: np.ndarray
    opex_support_usd: np.ndarray
    accelerators: np.ndarray
    served_tokens: np.ndarray
    inference_accelerators: np.ndarray
    notes: list[str] = field(default_factory=list)

    @property
    def opex_usd(self) -> np.ndarray:
        return self.opex_energy_usd + self.opex_fixed_usd + self.opex_support_usd


def _on_horizon(series: pd.Series, years: np.ndarray) -> np.ndarray:
    return series.reindex(years).fillna(0.0).to_numpy(float, copy=True)


def _active(inputs: PlanInputs, r: PlanResult, years: np.ndarray) -> pd.DataFrame:
    """Accelerators running by year (rows) and accelerator (columns) over the horizon."""
    acc = inputs.accelerators.index
    life = inputs.life_years_int()
    new = (r.builds.groupby(["year", "accelerator"]).new_accelerators.sum().unstack()
           if len(r.builds) else pd.DataFrame())
    new = new.reindex(index=years, columns=acc).fillna(0.0)
    ex = inputs.existing
    for e in ex.itertuples():
        if e.accelerator in acc and e.installed_year in new.index:
            new.loc[e.installed_year, e.accelerator] += e.count
    active = new.rolling(life, min_periods=1).sum()
    for e in ex.itertuples():  # installed before the horizon starts
        if e.accelerator in acc and e.installed_year < years[0]:
            on = (years >= e.installed_year) & (years < e.installed_year + life)
            active.loc[on, e.accelerator] += e.count
    return active


def _site_capex(inputs: PlanInputs, r: PlanResult, years: np.ndarray
                ) -> dict[tuple[str, str], np.ndarray]:
    out: dict[tuple[str, str], np.ndarray] = {}
    if len(r.builds):
        by = r.builds.groupby(["site", "year"]).capex_usd.sum()
        for site in by.index.get_level_values(0).unique():
            out[("accelerators", site)] = _on_horizon(by.loc[site], years)
    halls = r.decisions.hall_mw
    if len(halls):
        by = halls.groupby(["site", "year"]).hall_mw.sum() * inputs.facility["capex_usd_per_mw"]
        for site in by.index.get_level_values(0).unique():
            out[("halls", site)] = _on_horizon(by.loc[site], years)
    return out


def _extend(opex: np.ndarray, driver: np.ndarray, years: np.ndarray, end_year: int
            ) -> np.ndarray:
    """Years after the programme: the end year's opex scaled by ``driver``."""
    out = opex.copy()
    i_end = int(np.searchsorted(years, end_year))
    if i_end >= len(years) - 1:
        return out
    base = driver[i_end]
    ratio = driver[i_end + 1:] / base if base > 0 else np.zeros(len(years) - i_end - 1)
    out[i_end + 1:] = opex[i_end] * ratio
    return out


def _inference(inputs: PlanInputs, r: PlanResult, cat: Catalog, active: pd.DataFrame,
               demand_ids: dict[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """(served output tokens, accelerators serving them) by horizon year."""
    years = active.index.to_numpy()
    peak = inputs.inference_demand_tokens_per_s.reindex(years).fillna(0.0)
    short = pd.DataFrame(0.0, index=peak.index, columns=peak.columns)
    for x in r.relaxations:
        if x["constraint"] == INFERENCE_SHORTFALL:
            y, w = x["index"].get("year"), x["index"].get("inference")
            if y in short.index and w in short.columns:
                short.loc[y, w] += x["amount"]
    served_peak = (peak - short).clip(lower=0.0)
    rate = inputs.inference_tokens_per_s_per_gpu.reindex(index=active.columns).fillna(0.0)
    tokens = np.zeros(len(years))
    gpus = np.zeros(len(years))
    for w in served_peak.columns:
        ptm = float(cat.get("demands", demand_ids[w]).peak_to_mean) if w in demand_ids else 1.0
        tokens += served_peak[w].to_numpy() / ptm * SECONDS_PER_YEAR
        can = rate[w] > 0
        n = active.loc[:, can].sum(axis=1).to_numpy()
        tok = (active.loc[:, can] * rate[w][can]).sum(axis=1).to_numpy()
        avg = np.divide(tok, n, out=np.zeros_like(tok), where=n > 0)
        gpus += np.divide(served_peak[w].to_numpy(), avg, out=np.zeros_like(avg),
                          where=avg > 0)
    return tokens, np.minimum(gpus, active.sum(axis=1).to_numpy())


def plan_flows(inputs: PlanInputs, r: PlanResult, cat: Catalog, horizon_end_year: int,
               demand_ids: dict[str, str]) -> PlanFlows:
    """The flows of plan ``r`` (solved from ``inputs``) by year up to ``horizon_end_year``.

    ``demand_ids`` maps each inference workload id to its catalog demand (for the peak to
    mean ratio that turns the planner's peak rates into tokens per year).
    """
    end = int(inputs.years[-1])
    years = np.arange(int(inputs.years[0]), max(end, horizon_end_year) + 1)
    c = r.costs
    capex = {"accelerators": _on_horizon(c.capex_accelerators_usd, years),
             "halls": _on_horizon(c.capex_data_hall_usd, years),
             "power": _on_horizon(c.capex_power_usd, years)}
    active = _active(inputs, r, years)
    it_mw = (active * inputs.accelerators.it_power_w).sum(axis=1).to_numpy() / 1e6
    hw_usd = (active * inputs.accelerators.capex_usd_per_accelerator).sum(axis=1).to_numpy()
    tokens, inf_gpus = _inference(inputs, r, cat, active, demand_ids)
    n = active.sum(axis=1).to_numpy()
    i_end = int(np.searchsorted(years, end))
    if i_end < len(years) - 1 and n[i_end] > 0:   # after the programme: capacity-bound
        ratio = n[i_end + 1:] / n[i_end]
        tokens[i_end + 1:] = tokens[i_end] * ratio
        inf_gpus[i_end + 1:] = inf_gpus[i_end] * ratio
    fixed = _on_horizon(c.opex_power_om_usd + c.opex_hall_usd, years)
    fixed[i_end + 1:] = fixed[i_end] if len(fixed) else 0.0
    return PlanFlows(
        years=years, end_year=end, capex_usd=capex, capex_by_site_usd=_site_capex(inputs, r, years),
        opex_energy_usd=_extend(_on_horizon(c.opex_energy_usd, years), it_mw, years, end),
        opex_fixed_usd=fixed,
        opex_support_usd=_extend(_on_horizon(c.opex_hardware_support_usd, years), hw_usd,
                                 years, end),
        accelerators=n, served_tokens=tokens, inference_accelerators=inf_gpus)


__all__ = ["PlanFlows", "plan_flows", "SECONDS_PER_YEAR"]
