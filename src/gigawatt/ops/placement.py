"""Where each reference training run of a plan goes, and how long it really takes.

The planner counts training capacity fleet-wide. A synchronous run, though, runs on one
site and one accelerator type, at the rate of its own job size and with the ETTR of its
own job size. This module takes a solved plan and, for every phase's last year and every
reference training workload, tries each (site, accelerator type) group the plan has that
year, the job sizes up to the group's accelerators (:class:`~.runs.RunSearch`), and keeps
the placement that trains soonest in wall-clock days; the deadline holds only if that
placement finishes within the workload's ``max_days``.
"""

from __future__ import annotations

import math
from collections.abc import MutableMapping
from typing import Any

import pandas as pd

from ..perf.training import resolve_model
from .runs import RunSearch

COLUMNS = ["phase", "year", "workload", "model", "tokens", "placement", "accelerator",
           "gpus", "ideal_days", "ettr", "time_to_train_days", "max_days", "deadline_year",
           "meets_max_days", "plan"]


def place_training(result: Any, scenario: Any, catalog: Any, *, recovery: str = "restart",
                   failure_multiplier: float = 1.0, seed: int = 0,
                   cache: MutableMapping[str, Any] | None = None) -> pd.DataFrame:
    """Composed time to train of each (phase, training workload) of a plan.

    Parameters
    ----------
    result : :class:`gigawatt.plan.PlanResult` (its ``builds`` and ``phases`` tables).
    scenario : the planned :class:`~gigawatt.scenario.Scenario` (its training workloads).
    catalog : the catalog.
    recovery, failure_multiplier, seed : of the simulated ETTR.
    cache : optional mapping kept between calls (see :class:`~.runs.RunSearch`).

    Returns
    -------
    DataFrame, one row per (phase, workload): ``placement`` (site ids), ``accelerator``,
    ``gpus`` (job size), ``ideal_days``, ``ettr``, ``time_to_train_days`` (wall clock),
    ``meets_max_days``; ``time_to_train_days`` is inf and ``placement`` empty where no
    group of the plan can run it.
    """
    b = result.builds
    searches: dict[tuple[str, str | None], RunSearch] = {}

    def search(acc: str, link: Any = None) -> RunSearch:
        key = (acc, None if link is None else link.id)
        if key not in searches:
            searches[key] = RunSearch(
                acc, recovery, failure_multiplier, seed=seed, catalog=catalog, cache=cache,
                link=None if link is None else {
                    "sites": len(link.sites), "wan_tbps": link.wan_tbps,
                    "wan_latency_ms": link.wan_latency_ms, "mode": link.mode})
        return searches[key]

    rows = []
    for pid, p in result.phases.iterrows():
        year = int(p.end_year)
        groups = (b[(b.year == year) & (b.accelerators > 0)]
                  .groupby(["site", "accelerator"]).accelerators.sum())
        # (sites, accelerator, accelerators usable, search): each site alone, then each
        # linked group with an equal share per site of a type present at all of them
        options = [([site], acc, int(n), search(acc)) for (site, acc), n in groups.items()]
        for link in getattr(scenario, "links", None) or []:
            for acc in sorted({a for _, a in groups.index}):
                per_site = [int(groups.get((site, acc), 0)) for site in link.sites]
                if min(per_site) > 0:
                    options.append((list(link.sites), acc, min(per_site) * len(link.sites),
                                    search(acc, link)))
        for w in scenario.workloads.training:
            spec = resolve_model(w.model, catalog, None)
            best = None
            for sites, acc, n, s in options:
                o = s.fastest(spec, float(w.tokens), n, w.precision)
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
