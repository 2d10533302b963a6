"""Why these vendors: the per-family calibration behind the planner's accelerator choice.

For every candidate accelerator of a plan: how many it installs, the MFU on the reference
model the planner used, and how well that number is known (its family's calibration for
training and for serving, the leave-one-source-out MAPE, and the P10-P90 error band). A
plan that favours an uncalibrated family rests on an extrapolation; the section says so.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..perf import calibration as cal
from .html import Section, Table, bullet_list


def calibration_table(r: Any, catalog: Any = None) -> pd.DataFrame:
    """One row per candidate accelerator of plan ``r``: installs, MFU, calibration."""
    from ..catalog import load_catalog

    cat = catalog or load_catalog()
    acc = r.accelerators if r.accelerators is not None else pd.DataFrame()
    bought = (r.builds.groupby("accelerator").new_accelerators.sum()
              if len(r.builds) and "accelerator" in r.builds else pd.Series(dtype=float))
    loso = {k: cal.summary(k) for k in cal.KINDS}
    rows = []
    for a in acc.index:
        fam = cat.accelerator(a).family
        row = {"accelerator": a, "family": fam, "installed": float(bought.get(a, 0.0)),
               "mfu": float(acc.loc[a, "mfu"]) if "mfu" in acc else float("nan")}
        for kind in cal.KINDS:
            band = cal.error_band(kind, fam)
            s = loso[kind].get(fam)
            row[f"{kind}_calibrated"] = band["calibrated"]
            row[f"{kind}_loso_mape"] = s["mape"] if s else float("nan")
            row[f"{kind}_band"] = f"{band['error_p10']:+.0%}/{band['error_p90']:+.0%}"
        rows.append(row)
    df = pd.DataFrame(rows)
    return df.sort_values("installed", ascending=False) if len(df) else df


def calibration_section(r: Any, prefix: str = "", catalog: Any = None) -> Section:
    """The report section explaining the vendor choice with its calibration basis."""
    df = calibration_table(r, catalog)
    notes = []
    for row in df[df.installed > 0].itertuples():
        if row.training_calibrated:
            notes.append(f"{row.accelerator} ({row.family}): {row.installed:,.0f} installed "
                         f"at MFU {row.mfu:.2f}; training model calibrated on published "
                         f"{row.family} runs, leave-one-source-out MAPE "
                         f"{row.training_loso_mape:.1%}, error band {row.training_band}.")
        else:
            notes.append(f"{row.accelerator} ({row.family}): {row.installed:,.0f} installed "
                         f"at MFU {row.mfu:.2f} that is UNCALIBRATED (no published "
                         f"{row.family} training run in the validation set; band "
                         f"{row.training_band}): this choice rests on an extrapolation.")
    unc = df[(df.installed == 0) & ~df.training_calibrated.astype(bool)]
    if len(unc):
        notes.append("Not chosen and uncalibrated (their MFU is the fit over all families, "
                     "not a measurement): " + ", ".join(unc.accelerator) + ".")
    html = ("<p>The planner compares accelerators by effective FLOP/s = peak x MFU on the "
            "reference model. How well each MFU is known (docs/calibration.md):</p>"
            + bullet_list(notes))
    name = f"{prefix}vendor-calibration"
    return Section(name, f"{prefix}Why these vendors: per-family calibration", html=html,
                   tables=[Table(name, "Candidate accelerators and the calibration of "
                                 "their estimates", df)])
