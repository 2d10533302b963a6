"""Serving-capacity sizing: accelerators, racks, MW and cost per million tokens for a demand.

For each accelerator, the maximum-throughput plan that meets the demand's SLOs
(:func:`gigawatt.perf.inference.max_throughput`) sets output tokens/s per GPU; the
demand's peak load sets the GPU count (whole replicas); :func:`gigawatt.deploy.
size_deployment` turns the count into systems, racks, power, capex and opex. Options are
ranked by USD per million output tokens: capex spread evenly over ``life_years`` plus a
year's opex (energy at the site's price included), over a year of the demand's mean load.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from ..catalog import Catalog, load_catalog
from ..catalog.schema import Demand
from ..deploy import size_deployment
from ..errors import GigawattError, InfeasibleError, ValidationError
from ..numfmt import with_units
from .inference import max_throughput

SECONDS_PER_DAY = 86400.0
DAYS_PER_YEAR = 365.0


@dataclass(frozen=True)
class ServingDemand:
    """A load to serve: mean output tokens/day, request shape and latency SLOs."""

    id: str
    model: str
    tokens_per_day: float
    prompt_tokens: int
    output_tokens: int
    ttft_slo_s: float | None
    tpot_slo_s: float | None
    peak_to_mean: float = 1.0

    @property
    def peak_output_tokens_per_s(self) -> float:
        """Output tokens/s the fleet must sustain at peak."""
        return self.tokens_per_day / SECONDS_PER_DAY * self.peak_to_mean

    @property
    def requests_per_s(self) -> float:
        """Mean request rate."""
        return self.tokens_per_day / SECONDS_PER_DAY / self.output_tokens


def demand_from_rate(model: str, requests_per_s: float, *, prompt_tokens: int,
                     output_tokens: int, ttft_slo_s: float | None = None,
                     tpot_slo_s: float | None = None, peak_to_mean: float = 1.0) -> ServingDemand:
    """A demand given as a request rate (requests/s) rather than tokens/day."""
    if not requests_per_s > 0:
        raise ValidationError(f"rate must be > 0 requests/s (got {requests_per_s}); a demand "
                              f"of zero needs no capacity", field="rate")
    return ServingDemand(id=f"rate-{requests_per_s:g}", model=model,
                         tokens_per_day=requests_per_s * output_tokens * SECONDS_PER_DAY,
                         prompt_tokens=prompt_tokens, output_tokens=output_tokens,
                         ttft_slo_s=ttft_slo_s, tpot_slo_s=tpot_slo_s,
                         peak_to_mean=peak_to_mean)


def as_demand(demand, cat: Catalog) -> ServingDemand:
    """A demand id, ``Demand`` row or :class:`ServingDemand` as a checked ServingDemand."""
    if isinstance(demand, str):
        demand = cat.get("demands", demand)
    if isinstance(demand, Demand):
        demand = ServingDemand(id=demand.id, model=demand.model,
                               tokens_per_day=demand.tokens_per_day,
                               prompt_tokens=demand.prompt_tokens,
                               output_tokens=demand.output_tokens,
                               ttft_slo_s=demand.ttft_slo_s, tpot_slo_s=demand.tpot_slo_s,
                               peak_to_mean=demand.peak_to_mean)
    if not isinstance(demand, ServingDemand):
        raise ValidationError(f"demand must be a catalog id, a Demand or a ServingDemand "
                              f"(got {type(demand).__name__})", field="demand")
    if not demand.tokens_per_day > 0:
        raise ValidationError(f"tokens_per_day must be > 0 (got {demand.tokens_per_day})",
                              field="demand.tokens_per_day")
    return demand


@dataclass(frozen=True)
class ServingOption:
    """Serving a demand on one accelerator type (units in field names).

    ``feasible`` is False with a ``reason`` when the model does not fit or no plan meets
    the SLOs; the numeric fields are then None.
    """

    accelerator: str
    feasible: bool
    reason: str | None = None
    plan: dict[str, Any] = field(default_factory=dict)
    accelerators: int | None = None
    replicas: int | None = None
    batch: int | None = None
    output_tokens_per_s_per_gpu: float | None = None
    ttft_s: float | None = None
    tpot_s: float | None = None
    systems: int | None = None
    racks: int | None = None
    it_power_mw: float | None = None
    facility_power_mw: float | None = None
    capex_usd: float | None = None
    opex_usd_per_year: float | None = None
    energy_usd_per_year: float | None = None
    usd_per_million_output_tokens: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ServingSizing:
    """Options to serve a demand, ranked by USD per million output tokens."""

    demand: dict[str, Any]
    peak_output_tokens_per_s: float
    life_years: float
    site: str | None
    options: tuple[ServingOption, ...]

    @property
    def best(self) -> ServingOption:
        """The cheapest feasible option."""
        feasible = [o for o in self.options if o.feasible]
        if not feasible:
            reasons = "; ".join(f"{o.accelerator}: {o.reason}" for o in self.options[:5])
            raise InfeasibleError(f"no accelerator can serve demand '{self.demand['id']}': "
                                  f"{reasons}", field="demand")
        return feasible[0]

    def to_dict(self) -> dict[str, Any]:
        return {"demand": self.demand, "peak_output_tokens_per_s": self.peak_output_tokens_per_s,
                "life_years": self.life_years, "site": self.site,
                "options": [o.to_dict() for o in self.options]}

    def to_frame(self):  # -> pandas.DataFrame
        import pandas as pd

        rows = [{k: v for k, v in o.to_dict().items() if k != "plan"} for o in self.options]
        return with_units(pd.DataFrame(rows).set_index("accelerator"))


def option_from_estimate(cat: Catalog, dem: ServingDemand, est, site: str | None,
                         life_years: float) -> ServingOption:
    """Size the fleet that serves ``dem`` at the operating point ``est`` (whole replicas)."""
    replica = est.plan["replica_gpus"]
    replicas = math.ceil(dem.peak_output_tokens_per_s / (est.output_tokens_per_s_per_gpu
                                                          * replica))
    count = replicas * replica
    dep = size_deployment(cat, est.accelerator, count, site)
    annual = dep.capex_total_usd / life_years + dep.opex_usd_per_year["total"]
    tokens_per_year = dem.tokens_per_day * DAYS_PER_YEAR
    return ServingOption(
        accelerator=est.accelerator, feasible=True,
        plan=dict(est.plan, replicas=replicas, gpus=count), accelerators=count,
        replicas=replicas, batch=est.batch,
        output_tokens_per_s_per_gpu=est.output_tokens_per_s_per_gpu, ttft_s=est.ttft_s,
        tpot_s=est.tpot_s, systems=dep.systems, racks=dep.racks, it_power_mw=dep.it_power_mw,
        facility_power_mw=dep.facility_power_mw, capex_usd=dep.capex_total_usd,
        opex_usd_per_year=dep.opex_usd_per_year["total"],
        energy_usd_per_year=dep.opex_usd_per_year["energy"],
        usd_per_million_output_tokens=annual / (tokens_per_year / 1e6))


def _option(cat: Catalog, dem: ServingDemand, acc: str, site: str | None, life_years: float,
            precision: str, stack) -> ServingOption:
    try:
        est = max_throughput(dem.model, acc, prompt_tokens=dem.prompt_tokens,
                             output_tokens=dem.output_tokens, precision=precision,
                             ttft_slo_s=dem.ttft_slo_s, tpot_slo_s=dem.tpot_slo_s,
                             ep=None, catalog=cat, stack=stack)
    except GigawattError as exc:
        return ServingOption(accelerator=acc, feasible=False, reason=exc.message)
    return option_from_estimate(cat, dem, est, site, life_years)


def size_serving(demand, *, accelerators: list[str] | None = None, site: str | None = None,
                 catalog: Catalog | None = None, life_years: float = 5,
                 precision: str = "fp8", stack=None) -> ServingSizing:
    """Size the serving fleet for a demand on each accelerator, ranked by cost.

    Parameters
    ----------
    demand : catalog demand id, a ``Demand`` row, or a :class:`ServingDemand`
        (see :func:`demand_from_rate`).
    accelerators : accelerator ids to consider (default: all in the catalog).
    site : catalog site id (PUE, electricity price); default a generic US site.
    life_years : years over which capex is amortised (> 0).
    precision : weight precision of the deployment.
    stack : serving-stack generation (default: the newest).

    Returns
    -------
    ServingSizing ; feasible options first, cheapest first; infeasible ones keep a reason.
    """
    cat = catalog or load_catalog()
    if not life_years > 0:
        raise ValidationError(f"life_years must be > 0 (got {life_years})", field="life_years")
    dem = as_demand(demand, cat)
    ids = list(accelerators) if accelerators else list(cat.accelerators)
    for a in ids:
        cat.accelerator(a)  # unknown ids fail here, with suggestions
    opts = [_option(cat, dem, a, site, life_years, precision, stack) for a in ids]
    opts.sort(key=lambda o: (not o.feasible, o.usd_per_million_output_tokens or 0.0))
    return ServingSizing(demand=asdict(dem), peak_output_tokens_per_s=dem.peak_output_tokens_per_s,
                         life_years=float(life_years), site=site, options=tuple(opts))
