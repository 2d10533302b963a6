"""Simulate the clusters of a build-out plan (the ``plan.json`` of ``gigawatt plan --out``).

The plan lists, per phase, the clusters built by then (other keys are ignored)::

    {"phases": [{"id": "p1", "year": 2026,
                 "clusters": [{"site": "abilene", "accelerator": "gb200", "count": 100000}]}]}

Each cluster is simulated as one training job over all its accelerators, with its own
generator derived from the seed, and the facility power of all clusters of a site in a
phase is added up against the site's power in that year: from the plan's scenario
(``"scenario": id``) where it overrides the site, else from the catalog. The PUE of a
cluster is its site's (scenario override, else the catalog site's cooling).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..catalog import Catalog, load_catalog
from ..errors import GigawattError, ValidationError
from .engine import simulate
from .result import OpsResult


@dataclass(frozen=True)
class ClusterSpec:
    """One cluster of a plan phase."""

    phase: str
    year: int | None
    site: str
    accelerator: str
    count: int


def _need(obj: Any, key: str, where: str, kind: type | tuple[type, ...]) -> Any:
    if not isinstance(obj, dict) or key not in obj:
        raise ValidationError(f"missing '{key}' (plan.json lists phases[].clusters[] with "
                              "site, accelerator, count)", field=where)
    val = obj[key]
    if not isinstance(val, kind) or isinstance(val, bool):
        raise ValidationError(f"'{key}' = {val!r} has the wrong type; expected "
                              f"{getattr(kind, '__name__', kind)}", field=f"{where}.{key}")
    return val


def read_plan_clusters(plan: Any) -> list[ClusterSpec]:
    """The clusters of every phase of a parsed ``plan.json``, validated."""
    phases = _need(plan, "phases", "plan", list)
    out = []
    for i, ph in enumerate(phases):
        where = f"phases[{i}]"
        pid = str(_need(ph, "id", where, (str, int)))
        year = ph.get("year") if isinstance(ph, dict) else None
        for k, cl in enumerate(_need(ph, "clusters", where, list)):
            w = f"{where}.clusters[{k}]"
            count = _need(cl, "count", w, (int, float))
            if count < 0 or int(count) != count:
                raise ValidationError(f"{count!r} is out of range; allowed: a whole "
                                      "number >= 0", field=f"{w}.count")
            out.append(ClusterSpec(pid, year if isinstance(year, int) else None,
                                   str(_need(cl, "site", w, str)),
                                   str(_need(cl, "accelerator", w, str)), int(count)))
    if not out:
        raise ValidationError("the plan has no clusters to simulate", field="phases")
    return out


@dataclass(frozen=True, eq=False)
class PlanOpsResult:
    """Simulations of every cluster of a plan, and site power per phase."""

    clusters: tuple[tuple[ClusterSpec, OpsResult], ...]
    site_power: tuple[dict[str, Any], ...]
    sim_wall_s: float

    def to_dict(self, timings: bool = False) -> dict[str, Any]:
        """The JSON document; wall-clock ``sim_wall_s`` only with ``timings`` (it differs
        between runs, the rest is the same bytes for the same seed)."""
        rows = [{"phase": c.phase, "year": c.year, "site": c.site,
                 "accelerator": c.accelerator, "count": c.count, **r.to_dict(timings)}
                for c, r in self.clusters]
        gpus = sum(c.count for c, _ in self.clusters)
        useful = sum(r.useful_gpu_hours for _, r in self.clusters)
        hours = sum(c.count * r.inputs["days"] * 24 for c, r in self.clusters)
        return {"clusters": rows, "site_power": list(self.site_power),
                "totals": {"accelerators": gpus, "useful_gpu_hours": useful,
                           "ettr": useful / hours if hours else None,
                           "energy_mwh": sum(r.energy_mwh for _, r in self.clusters)},
                **({"sim_wall_s": self.sim_wall_s} if timings else {})}


@dataclass(frozen=True)
class SiteContext:
    """Where a plan's site power limits and PUEs come from: the plan's scenario (its site
    overrides) and the catalog's sites."""

    catalog: Catalog
    overrides: dict[str, Any]
    source: str

    def limit_mw(self, site: str, year: int | None) -> float | None:
        if year is None:
            return None
        o = self.overrides.get(site)
        if o is not None and o.power_mw_by_year:
            past = [y for y in o.power_mw_by_year if y <= year]
            return float(o.power_mw_by_year[max(past)]) if past else 0.0
        try:
            return self.catalog.site(site).power_mw_in(year)
        except GigawattError:
            return None

    def pue(self, site: str) -> float | None:
        o = self.overrides.get(site)
        if o is not None and o.pue is not None:
            return float(o.pue)
        try:
            return self.catalog.get("coolings", self.catalog.site(site).cooling).pue
        except GigawattError:
            return None


def site_context(plan: Any, catalog: Catalog) -> SiteContext:
    """Site limits from the plan's scenario (``plan["scenario"]``, a built-in id) where it
    can be loaded, else from the catalog."""
    ref = plan.get("scenario") if isinstance(plan, dict) else None
    if isinstance(ref, str):
        from ..scenario import load_scenario

        try:
            sc = load_scenario(ref, catalog)
        except GigawattError:
            sc = None
        if sc is not None:
            return SiteContext(catalog, {s.site: s for s in sc.sites}, f"scenario {ref}")
    return SiteContext(catalog, {}, "catalog")


def _site_power(specs: list[ClusterSpec], results: list[OpsResult],
                ctx: SiteContext) -> tuple[dict[str, Any], ...]:
    groups: dict[tuple[str, str], list[OpsResult]] = {}
    years: dict[str, int | None] = {}
    for c, r in zip(specs, results):
        groups.setdefault((c.phase, c.site), []).append(r)
        years[c.phase] = c.year
    out = []
    for (phase, site), rs in groups.items():
        total = np.sum([r.series.facility_power_mw for r in rs], axis=0)
        limit = ctx.limit_mw(site, years[phase])
        over = None if limit is None else float((total > limit).sum() * rs[0].series.step_h)
        out.append({"phase": phase, "site": site, "peak_facility_power_mw": float(total.max()),
                    "mean_facility_power_mw": float(total.mean()), "limit_mw": limit,
                    "hours_over_limit": over, "limit_from": ctx.source})
    return tuple(out)


def simulate_plan(plan: Any, days: float, *, seed: int = 0, catalog: Catalog | None = None,
                  **kwargs: Any) -> PlanOpsResult:
    """Simulate every cluster of a parsed ``plan.json`` for ``days`` days.

    Cluster i uses seed ``SeedSequence(seed).spawn(n)[i]`` (as an integer), so results do
    not depend on the order clusters are run in. ``kwargs`` go to :func:`simulate`.
    """
    import time

    t0 = time.perf_counter()
    catalog = catalog or load_catalog()
    specs = [c for c in read_plan_clusters(plan) if c.count > 0]
    if "job_gpus" in kwargs or "power_limit_mw" in kwargs:
        raise ValidationError("job_gpus and power_limit_mw come from the plan with --plan",
                              field="plan")
    seeds = [int(s.generate_state(1, np.uint64)[0] >> np.uint64(1))
             for s in np.random.SeedSequence(seed).spawn(len(specs))]
    ctx = site_context(plan, catalog)
    results = [simulate(c.count, days, seed=s, accelerator=c.accelerator, catalog=catalog,
                        timestep_min=_common_step(days), pue=ctx.pue(c.site), **kwargs)
               for c, s in zip(specs, seeds)]
    return PlanOpsResult(tuple(zip(specs, results)), _site_power(specs, results, ctx),
                         time.perf_counter() - t0)


def _common_step(days: float) -> float | None:
    """One bin width for all clusters, so their power series add up."""
    from .power import MAX_BINS, STEPS_MIN

    if not isinstance(days, (int, float)) or days <= 0:
        return None
    return float(next((m for m in STEPS_MIN if days * 1440 / m <= MAX_BINS), STEPS_MIN[-1]))
