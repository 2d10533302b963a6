"""Where each reference training run of a plan goes, and how long it really takes.

The planner's token constraint counts training capacity fleet-wide. A synchronous run,
though, runs on one site (or one group of linked sites) and one accelerator type, at the
rate of its own job size and with the ETTR of its own job size. This module

* evaluates a solved plan (:func:`place_training`): for every phase's last year and every
  workload's deadline year, each (site, accelerator type) group the plan has, and each
  group of sites the scenario links (``links:``, an equal share per site of one type, over
  the link's bandwidth and latency), at job sizes up to the group's accelerators
  (:class:`~.runs.RunSearch`); the placement that trains soonest in wall-clock days is
  kept, and the deadline holds only if it finishes within ``max_days``;
* places the runs in the plan (:func:`plan_with_placement`): where the best placement
  at the deadline misses ``max_days``, the group that comes closest gets a requirement
  (the accelerators of the smallest job that finishes in time, ``training_sites`` of
  :class:`gigawatt.plan.PlanInputs`) and the planner solves again, paying for it or
  reporting by how much it falls short; with the requirement goes the power those runs
  can drop within seconds at each site (``site_swing_mw``, :mod:`.power_swing`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import MutableMapping
from typing import Any

import numpy as np
import pandas as pd

from ..perf.training import resolve_model
from .power_swing import scenario_swing_mw
from .runs import RunSearch

COLUMNS = ["phase", "year", "workload", "model", "tokens", "placement", "accelerator",
           "gpus", "ideal_days", "ettr", "time_to_train_days", "max_days", "deadline_year",
           "meets_max_days", "plan"]


class _Placer:
    """The candidate groups of a plan and one :class:`RunSearch` per (type, link)."""

    def __init__(self, scenario: Any, catalog: Any, recovery: str,
                 failure_multiplier: float, seed: int,
                 cache: MutableMapping[str, Any] | None) -> None:
        self.scenario, self.catalog, self.cache = scenario, catalog, cache
        self.recovery, self.fm, self.seed = recovery, failure_multiplier, seed
        self.searches: dict[tuple[str, str | None], RunSearch] = {}

    def search(self, acc: str, link: Any = None) -> RunSearch:
        key = (acc, None if link is None else link.id)
        if key not in self.searches:
            self.searches[key] = RunSearch(
                acc, self.recovery, self.fm, seed=self.seed, catalog=self.catalog,
                cache=self.cache, link=None if link is None else {
                    "sites": len(link.sites), "wan_tbps": link.wan_tbps,
                    "wan_latency_ms": link.wan_latency_ms, "mode": link.mode})
        return self.searches[key]

    def options(self, builds: pd.DataFrame, year: int) -> list[tuple[list[str], str, int]]:
        """(sites, accelerator, accelerators usable) for each site alone, then each
        linked group with an equal share per site of a type present at all of them."""
        groups = (builds[(builds.year == year) & (builds.accelerators > 0)]
                  .groupby(["site", "accelerator"]).accelerators.sum())
        out = [([site], acc, int(n)) for (site, acc), n in groups.items()]
        for link in getattr(self.scenario, "links", None) or []:
            for acc in sorted({a for _, a in groups.index}):
                per_site = [int(groups.get((site, acc), 0)) for site in link.sites]
                if min(per_site) > 0:
                    out.append((list(link.sites), acc, min(per_site) * len(link.sites)))
        return out

    def link_of(self, sites: list[str]) -> Any:
        if len(sites) == 1:
            return None
        return next(k for k in self.scenario.links if list(k.sites) == sites)


def _years(result: Any, scenario: Any) -> list[tuple[int, Any]]:
    """(year, phase id): each phase's last year and each workload's deadline year
    (within the programme), in order."""
    phases = result.phases
    first, last = int(phases.start_year.min()), int(phases.end_year.max())
    years = {int(p.end_year) for _, p in phases.iterrows()}
    years |= {min(max(int(w.deadline_year), first), last) for w in scenario.workloads.training}

    def phase_of(y: int) -> Any:
        for pid, p in phases.iterrows():
            if p.start_year <= y <= p.end_year:
                return pid
        return None
    return [(y, phase_of(y)) for y in sorted(years)]


def place_training(result: Any, scenario: Any, catalog: Any, *, recovery: str = "restart",
                   failure_multiplier: float = 1.0, seed: int = 0,
                   cache: MutableMapping[str, Any] | None = None) -> pd.DataFrame:
    """Composed time to train of each training workload at each phase's last year and at
    its deadline year.

    Parameters
    ----------
    result : :class:`gigawatt.plan.PlanResult` (its ``builds`` and ``phases`` tables).
    scenario : the planned :class:`~gigawatt.scenario.Scenario` (training workloads, links).
    catalog : the catalog.
    recovery, failure_multiplier, seed : of the simulated ETTR.
    cache : optional mapping kept between calls (see :class:`~.runs.RunSearch`).

    Returns
    -------
    DataFrame, one row per (year, workload): ``placement`` (site ids), ``accelerator``,
    ``gpus`` (job size), ``ideal_days``, ``ettr``, ``time_to_train_days`` (wall clock),
    ``meets_max_days``; ``time_to_train_days`` is inf and ``placement`` empty where no
    group of the plan can run it.
    """
    pl = _Placer(scenario, catalog, recovery, failure_multiplier, seed, cache)
    rows = []
    for year, pid in _years(result, scenario):
        options = pl.options(result.builds, year)
        for w in scenario.workloads.training:
            spec = resolve_model(w.model, catalog, None)
            best = None
            for sites, acc, n in options:
                o = pl.search(acc, pl.link_of(sites)).fastest(spec, float(w.tokens), n,
                                                              w.precision)
                if o is not None and (best is None or o.wall_days < best[2].wall_days):
                    best = (sites, acc, o)
            row = {"phase": pid, "year": year, "workload": w.id, "model": w.model,
                   "tokens": float(w.tokens), "max_days": float(w.max_days),
                   "deadline_year": int(w.deadline_year)}
            if best is None:
                row.update(placement=[], accelerator=None, gpus=0, ideal_days=math.inf,
                           ettr=math.nan, time_to_train_days=math.inf,
                           meets_max_days=False, plan=None)
            else:
                sites, acc, o = best
                row.update(placement=sites, accelerator=acc, gpus=o.gpus,
                           ideal_days=o.ideal_days, ettr=o.ettr,
                           time_to_train_days=o.wall_days,
                           meets_max_days=bool(o.wall_days <= w.max_days), plan=o.plan)
            rows.append(row)
    df = pd.DataFrame(rows, columns=COLUMNS)
    df.attrs["unit"] = {"tokens": "tokens", "ideal_days": "d", "time_to_train_days": "d"}
    return df


def due_rows(rows: pd.DataFrame, result: Any) -> pd.DataFrame:
    """The row of each workload at its deadline year (clamped to the programme)."""
    first, last = int(result.phases.start_year.min()), int(result.phases.end_year.max())
    due = rows.deadline_year.clip(first, last)
    return rows[rows.year == due]


#: most accelerators a placement requirement asks one group for (2^24)
MAX_REQUIRED_GPUS = 2 ** 24


def requirements(result: Any, scenario: Any, catalog: Any, rows: pd.DataFrame, *,
                 recovery: str = "restart", failure_multiplier: float = 1.0, seed: int = 0,
                 cache: MutableMapping[str, Any] | None = None) -> pd.DataFrame:
    """Placement requirements for the runs that miss ``max_days`` at their deadline: for
    each, the candidate group (a site or linked sites, one type) whose smallest job that
    finishes in time needs the fewest accelerators beyond what the plan has there.

    Returns rows ``workload``, ``year``, ``site``, ``accelerator``, ``kacc`` (thousand
    accelerators needed at that site; over a link, an equal share per site)."""
    pl = _Placer(scenario, catalog, recovery, failure_multiplier, seed, cache)
    work = {w.id: w for w in scenario.workloads.training}
    out = []
    for r in due_rows(rows, result).itertuples():
        if r.meets_max_days:
            continue
        w = work[r.workload]
        spec = resolve_model(w.model, catalog, None)
        have = {(tuple(s), a): n for s, a, n in pl.options(result.builds, int(r.year))}
        cands = list(have)
        for acc in scenario_accelerators(scenario):  # sites without that type yet
            for site in (s.site for s in scenario.sites):
                cands.append(((site,), acc))
            for link in getattr(scenario, "links", None) or []:
                cands.append((tuple(link.sites), acc))
        best = None
        for sites, acc in dict.fromkeys(cands):
            ladder = pl.search(acc, pl.link_of(list(sites))).ladder(
                spec, float(w.tokens), MAX_REQUIRED_GPUS, within_days=float(w.max_days),
                precision=w.precision)
            ok = [o for _, o in ladder if o is not None and o.wall_days <= w.max_days]
            if not ok:
                continue
            need = ok[0].gpus
            deficit = need - have.get((sites, acc), 0)
            if best is None or deficit < best[0]:
                best = (deficit, sites, acc, need)
        if best is None:
            continue  # no job of any size finishes it in time: the row says so
        _, sites, acc, need = best
        out += [{"workload": w.id, "year": int(r.year), "site": s, "accelerator": acc,
                 "kacc": need / len(sites) / 1e3} for s in sites]
    return pd.DataFrame(out, columns=["workload", "year", "site", "accelerator", "kacc"])


def placed_runs(rows: pd.DataFrame) -> pd.DataFrame:
    """The accelerators each placed run holds at each of its sites (rows ``workload``,
    ``year``, ``site``, ``accelerator``, ``kacc``; over a link, an equal share)."""
    out = []
    for r in rows.itertuples():
        sites = list(getattr(r, "placement", None) or [])
        gpus = getattr(r, "gpus", None)
        if not sites or not gpus or not isinstance(getattr(r, "accelerator", None), str) \
                or not np.isfinite(gpus):
            continue
        out += [{"workload": r.workload, "year": int(r.year), "site": s,
                 "accelerator": r.accelerator, "kacc": float(gpus) / len(sites) / 1e3}
                for s in sites]
    return pd.DataFrame(out, columns=["workload", "year", "site", "accelerator", "kacc"])


def swing_beyond_ramp_mw(swing: pd.DataFrame, catalog: Any) -> float:
    """The most MW of a placed run's swing, in any year and site, that the site's grid
    cannot follow within a minute (0: no site needs swing-absorbing capacity)."""
    from ..plan.installed import RAMP_WINDOW_MIN

    worst = 0.0
    for site in swing.columns:
        ramp = catalog.site(site).grid_ramp_mw_per_min
        if ramp is not None:
            worst = max(worst, float((swing[site] - ramp * RAMP_WINDOW_MIN).max()))
    return worst


def scenario_accelerators(scenario: Any) -> list[str]:
    return [a.accelerator for a in scenario.accelerators]


def plan_with_placement(scenario: Any, catalog: Any, *, plan: Any = None,
                        recovery: str = "restart", seed: int = 0,
                        cache: MutableMapping[str, Any] | None = None,
                        **plan_kwargs: Any) -> Any:
    """Plan a scenario with its training runs placed: solve, place each run; where a run
    misses its ``max_days`` at its deadline, require its best group's accelerators and
    solve again. The result's ``training`` table is the composed one (placement, job
    size, ideal days, ETTR, wall-clock days) and its notes say what was required and
    which runs still miss.

    ``plan``: the function that plans (default :func:`gigawatt.plan.plan_scenario`); it
    takes the keywords ``training_sites`` and ``site_swing_mw`` on the re-plan, and the
    other keywords.
    """
    if plan is None:
        from ..plan import plan_scenario as plan
    # the runs of the first placement serve the requirements and the second placement
    kw = dict(recovery=recovery, seed=seed, cache={} if cache is None else cache)
    result = plan(scenario, catalog, **plan_kwargs)
    rows = place_training(result, scenario, catalog, **kw)
    notes = list(result.notes)
    req = requirements(result, scenario, catalog, rows, **kw)
    swing = scenario_swing_mw(pd.concat([placed_runs(rows), req], ignore_index=True),
                              scenario, catalog)
    # re-plan with the swing wherever a run swings faster than its grid follows, so the
    # plan holds (and pays for) what absorbs it, even where it already has batteries
    if not req.empty or swing_beyond_ramp_mw(swing, catalog) > 1e-3:
        result = plan(scenario, catalog, training_sites=req if not req.empty else None,
                      site_swing_mw=swing, **plan_kwargs)
        rows = place_training(result, scenario, catalog, **kw)
        notes = list(result.notes) + [
            f"{r.workload}: placed at {r.site} in {r.year}, which needs "
            f"{r.kacc * 1e3:,.0f} {r.accelerator} for a job that finishes within its "
            "max_days" for r in req.itertuples()]
    notes += [f"{r.workload}: the fastest placement in {r.year} "
              f"({', '.join(r.placement) or 'no site can run it'}) takes "
              f"{r.time_to_train_days:,.0f} days, more than its max_days {r.max_days:g}"
              for r in due_rows(rows, result).itertuples() if not r.meets_max_days]
    return dataclasses.replace(result, training=rows, notes=notes)
