"""The power swings of placed training runs: MW per site and year, and one job's site
power over time from the operations simulator's events.

A synchronous job of N accelerators can drop from busy to idle within seconds (a
failure, a restart, a checkpoint stall), taking ``N x all-in power x PUE x swing
fraction`` off the site (:func:`gigawatt.perf.power_profile.swing_fraction`, less what
rack-level power smoothing absorbs). :func:`site_swing_mw` gives the largest such swing
per site and year from the planner's placed runs (``training_sites``); a run over linked
sites counts at each site with its share. :func:`job_power_series` rebuilds one
simulated job's power as a step function of time from its failures, planned stops,
restarts and checkpoints, and :func:`ramp_stats` measures its largest drops and rises
within a second and a minute.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import ValidationError
from ..perf.power_profile import busy_idle_w, swing_fraction

if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..plan.inputs import PlanInputs
    from .result import OpsResult

#: a stalled job's share of all-in power where the accelerator is not in the catalog
#: (the failure model's ``idle_power_fraction``, ops/data/failures.yaml)
FALLBACK_STALL_FRACTION = 1.0 - 0.48
#: most breakpoints :func:`job_power_series` builds (a shorter ``window_h`` needs fewer)
MAX_BREAKPOINTS = 500_000


def accelerator_swing_fraction(catalog: Catalog, accelerator: str) -> float:
    """Share of an accelerator's all-in power a stall removes within seconds, after its
    system's power smoothing (catalog ``power_smoothing_fraction``)."""
    acc = catalog.accelerator(accelerator)
    smooth = catalog.system(acc.system).power_smoothing_fraction or 0.0
    return swing_fraction(acc.tdp_w, acc.all_in_power_w, smoothing_fraction=smooth)


def swing_absorber_usd_per_mw(catalog: Catalog, swing_mw: float,
                              ramp_mw_per_min: float | None, source: str = "battery") -> float:
    """Capex per MW of swing a battery absorbs, USD/MW: its power part (catalog
    ``capex_usd_per_kw``) plus the energy to hand the swing over to the grid at its ramp
    rate (a triangle of ``swing_mw`` by ``swing_mw / ramp`` minutes, ``capex_usd_per_kwh``).
    Without a ramp limit the energy part is one minute of full swing."""
    if not (math.isfinite(swing_mw) and swing_mw > 0):
        raise ValidationError(f"{swing_mw!r} is out of range; allowed: > 0 MW",
                              field="swing_mw")
    bat = catalog.get("power_sources", source)
    minutes = swing_mw / ramp_mw_per_min / 2.0 if ramp_mw_per_min else 1.0
    mwh_per_mw = minutes / 60.0
    return bat.capex_usd_per_kw * 1e3 + bat.capex_usd_per_kwh * 1e3 * mwh_per_mw


def _fractions(catalog: Catalog | None, accelerators: list[str]) -> dict[str, float]:
    if catalog is None:
        from ..catalog import load_catalog

        catalog = load_catalog()
    known = catalog.accelerators
    return {a: (accelerator_swing_fraction(catalog, a) if a in known
                else FALLBACK_STALL_FRACTION) for a in accelerators}


def swing_table(training_sites: pd.DataFrame | None, it_power_w: pd.Series,
                pue: pd.Series, fraction: pd.Series | dict[str, float],
                years: pd.Index, sites: pd.Index) -> pd.DataFrame:
    """Year x site, MW: the largest swing of any placed run at the site in the year.

    ``training_sites``: rows ``workload, year, site, accelerator, kacc`` (thousand
    accelerators the run needs there; over linked sites each site's share);
    ``it_power_w``: all-in W per accelerator type; ``pue`` per site; ``fraction`` the
    swing fraction per accelerator type."""
    out = pd.DataFrame(0.0, index=pd.Index(years, name="year"),
                       columns=pd.Index(sites, name="site"))
    if training_sites is None or training_sites.empty:
        return out
    ts = training_sites[training_sites.site.isin(out.columns)
                        & training_sites.year.isin(out.index)]
    if ts.empty:
        return out
    frac = pd.Series(fraction)
    mw = (ts.kacc.to_numpy(float) * 1e3 * it_power_w.reindex(ts.accelerator).to_numpy(float)
          * pue.reindex(ts.site).to_numpy(float)
          * frac.reindex(ts.accelerator).to_numpy(float) / 1e6)
    if not np.isfinite(mw).all() or (mw < 0).any():
        raise ValidationError("training_sites names an accelerator or site without power "
                              "data, or a negative kacc", field="training_sites")
    peak = pd.DataFrame({"year": ts.year.to_numpy(), "site": ts.site.to_numpy(), "mw": mw}
                        ).groupby(["year", "site"]).mw.max()
    for (year, site), v in peak.items():
        out.loc[year, site] = v
    return out


def site_swing_mw(inputs: PlanInputs, catalog: Catalog | None = None) -> pd.DataFrame:
    """Year x site, MW: the largest power a placed training run can drop within seconds
    (``inputs.training_sites``; zeros without placed runs). Swing fractions come from the
    catalog's TDP, all-in power and power smoothing (default: the built-in catalog)."""
    a = inputs.accelerators
    return swing_table(inputs.training_sites, a.it_power_w, inputs.sites.pue,
                       _fractions(catalog, list(a.index)), inputs.years, inputs.sites.index)


def scenario_swing_mw(training_sites: pd.DataFrame, scenario: Any,
                      catalog: Catalog) -> pd.DataFrame:
    """:func:`site_swing_mw` from a scenario and the catalog (the placement layer's view,
    before the planner's inputs exist): PUE from each site's override or cooling."""
    pue = {}
    for opt in scenario.sites:
        site = catalog.site(opt.site)
        pue[opt.site] = getattr(opt, "pue", None) or catalog.get("coolings", site.cooling).pue
    accs = sorted(set(training_sites.accelerator)) if not training_sites.empty else []
    it = pd.Series({a: catalog.accelerator(a).all_in_power_w for a in accs}, dtype=float)
    return swing_table(training_sites, it, pd.Series(pue, dtype=float),
                       _fractions(catalog, accs), pd.Index(list(scenario.years), name="year"),
                       pd.Index(list(pue), name="site"))


def _levels(result: OpsResult, catalog: Catalog | None) -> tuple[float, float, float]:
    """Facility MW of the job computing, checkpointing and stalled."""
    from .failures import load_failure_model

    if catalog is None:
        from ..catalog import load_catalog

        catalog = load_catalog()
    inp = result.inputs
    acc = catalog.accelerator(inp["accelerator"])
    busy_w, idle_w = busy_idle_w(acc.tdp_w, acc.all_in_power_w)
    scale = inp["job_gpus"] * inp["pue"] / 1e6
    ckpt = load_failure_model().defaults["checkpoint_power_fraction"]
    return busy_w * scale, ckpt * busy_w * scale, idle_w * scale


def job_power_series(result: OpsResult, catalog: Catalog | None = None, *,
                     window_h: float | None = None) -> pd.DataFrame:
    """One simulated job's facility power as a step function of time.

    From :func:`gigawatt.ops.simulate`'s result: the job computes at busy power, blocks
    for each checkpoint (every ``interval_min`` of computing, ``blocking_write_min``
    long) at the checkpoint power share, and after each failure stalls at idle power for
    detection and restart (a planned stop: for the restart). Waiting for spares and
    degraded (elastic) running are not drawn.

    Returns
    -------
    DataFrame ``t_s`` (time of a change, s from the start) and ``power_mw`` (facility
    power from then until the next row), first row at 0.
    """
    horizon_h = float(result.inputs["days"]) * 24.0
    if window_h is not None:
        if not (isinstance(window_h, (int, float)) and math.isfinite(window_h)
                and window_h > 0):
            raise ValidationError(f"{window_h!r} is out of range; allowed: > 0 hours",
                                  field="window_h")
        horizon_h = min(horizon_h, float(window_h))
    busy, ckpt, idle = _levels(result, catalog)
    c = result.checkpoint
    tau, block = c["interval_min"] / 60.0, c["blocking_write_min"] / 60.0
    stall = {"unexpected": (c["detect_min"] + c["restart_min"]) / 60.0,
             "planned": c["restart_min"] / 60.0}
    events = [(float(t), stall[k]) for t, k in zip(result.events.time_h, result.events.kind)
              if t < horizon_h]
    t_pts: list[float] = []
    p_pts: list[float] = []
    start = 0.0
    for t_ev, down in events + [(horizon_h, 0.0)]:
        if t_ev < start:  # an event during a stall extends it
            start = max(start, t_ev + down)
            continue
        t = start
        cycle = tau + block if math.isfinite(tau) and block > 0 else math.inf
        while t < t_ev:
            t_pts.append(t), p_pts.append(busy)
            if cycle == math.inf or t + tau >= t_ev:
                break
            t_pts.append(t + tau), p_pts.append(ckpt)
            t += cycle
            if len(t_pts) > MAX_BREAKPOINTS:
                raise ValidationError(f"more than {MAX_BREAKPOINTS:,} power changes; "
                                      "allowed: a shorter window_h", field="window_h")
        if t_ev < horizon_h:
            t_pts.append(t_ev), p_pts.append(idle)
        start = t_ev + down
    df = pd.DataFrame({"t_s": np.asarray(t_pts, dtype=float) * 3600.0,
                       "power_mw": np.asarray(p_pts, dtype=float)})
    # several changes at one instant: the last holds; then drop repeats of a level
    df = df.groupby("t_s", as_index=False, sort=True).last()
    p = df.power_mw.to_numpy()
    return df[np.concatenate([[True], p[1:] != p[:-1]])].reset_index(drop=True)


def ramp_stats(series: pd.DataFrame, windows_s: tuple[float, ...] = (1.0, 60.0)) -> dict:
    """Largest drop and rise of a step-function power series within each window.

    A drop within ``w`` seconds: from a level held until ``t`` to a lower level reached
    by ``t + w``. Returns ``max_drop_mw_<w>s`` and ``max_rise_mw_<w>s`` per window."""
    t = series.t_s.to_numpy(float)
    v = series.power_mw.to_numpy(float)
    out: dict[str, float] = {}
    for w in windows_s:
        drop = rise = 0.0
        for i in range(len(v) - 1):
            end = np.searchsorted(t, t[i + 1] + w, side="right")
            seg = v[i + 1:end]
            drop = max(drop, v[i] - seg.min())
            rise = max(rise, seg.max() - v[i])
        key = f"{w:g}s"
        out[f"max_drop_mw_{key}"] = float(drop)
        out[f"max_rise_mw_{key}"] = float(rise)
    return out
