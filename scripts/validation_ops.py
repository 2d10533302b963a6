"""Operations simulator vs published fleet statistics: prints the markdown section
"## Operations" of docs/validation.md, from the same code that
tests/validation/test_ops.py runs.

Cases (data and sources in tests/validation/data/reliability.yaml), all with the default
parameters of ``gigawatt.ops.simulate`` and no per-case tuning:

* Llama 3 405B 54-day snapshot on 16,384 H100: unexpected interruptions within the
  Poisson 95% interval, share by cause of the top five causes within 5 points, ETTR
  above 0.90 (seed 0, and over 40 seeds to show it is not a lucky seed);
* Daly's optimum checkpoint interval (his test vectors, to 0.5 min);
* simulated ETTR against the exact renewal-theory value for a single job;
* other fleets (BLOOM, OPT, ByteRobust, Gemini): generalisation, reported hit or miss.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import gigawatt as gw  # noqa: E402
from gigawatt.ops import daly_interval, load_failure_model, renewal_ettr  # noqa: E402

DATA = ROOT / "tests" / "validation" / "data" / "reliability.yaml"
SEEDS = 40


def load() -> dict[str, Any]:
    """The published figures (tests/validation/data/reliability.yaml)."""
    return yaml.safe_load(DATA.read_text(encoding="utf-8"))


def llama3(seed: int = 0) -> dict[str, Any]:
    """The Llama 3 snapshot simulated with default parameters."""
    pub = load()["llama3"]
    r = gw.ops.simulate(pub["gpus"], pub["days"], seed=seed, accelerator=pub["accelerator"])
    n = r.interruptions["unexpected"]
    total = sum(pub["causes"].values())
    top = sorted(pub["causes"], key=lambda c: -pub["causes"][c])[: pub["top_causes"]]
    shares = [{"cause": c, "published_pct": 100 * pub["causes"][c] / total,
               "model_pct": 100 * r.interruptions["by_cause"].get(c, 0) / n} for c in top]
    lo, hi = pub["unexpected_poisson95"]
    return {"unexpected": n, "planned": r.interruptions["planned"], "lo": lo, "hi": hi,
            "count_ok": lo <= n <= hi, "shares": shares,
            "shares_ok": all(abs(s["model_pct"] - s["published_pct"]) <= pub["share_tolerance_pp"]
                             for s in shares),
            "ettr": r.ettr, "ettr_ok": r.ettr > pub["ettr_min"], "result": r}


def llama3_seeds(n: int = SEEDS) -> dict[str, Any]:
    """The same over ``n`` seeds: mean count, coverage of the interval, ETTR spread."""
    runs = [llama3(seed) for seed in range(n)]
    counts = np.array([x["unexpected"] for x in runs])
    ettr = np.array([x["ettr"] for x in runs])
    lo, hi = load()["llama3"]["unexpected_poisson95"]
    return {"n": n, "mean_unexpected": float(counts.mean()),
            "mean_ok": lo <= float(counts.mean()) <= hi,
            "in_interval": float(np.mean([x["count_ok"] for x in runs])),
            "shares_ok": float(np.mean([x["shares_ok"] for x in runs])),
            "ettr_mean": float(ettr.mean()), "ettr_min": float(ettr.min()),
            "ettr_max": float(ettr.max()), "ettr_above": float(np.mean(ettr > 0.90))}


def daly_rows() -> list[dict[str, Any]]:
    """Daly's test vectors: published vs computed optimum interval, minutes."""
    d = load()["daly"]
    rows = []
    for v in d["vectors"]:
        model = daly_interval(d["write_min"], v["mtbi_min"])
        ok = abs(model - v["interval_min"]) <= d["tolerance_min"]
        rows.append({"mtbi_min": v["mtbi_min"], "published_min": v["interval_min"],
                     "model_min": model, "ok": ok})
    return rows


#: single-job renewal cases: (label, simulate kwargs)
RENEWAL_CASES = [
    ("16k GPUs, 30-min interval, 3.3 s writes", {"gpus": 16384, "checkpoint_interval_min": 30.0}),
    ("16k GPUs, Daly interval, 33 s writes", {"gpus": 16384, "checkpoint_gb_per_gpu": 4.0}),
    ("100k GPUs, 20-min interval, 5-min writes (failures during recovery)",
     {"gpus": 100000, "checkpoint_interval_min": 20.0, "checkpoint_gb_per_gpu": 36.6}),
    ("4k GPUs at 10x the fleet rate, async checkpoints off, 2-min restart",
     {"gpus": 4096, "failure_rate": 37.9, "restart_min": 2.0, "checkpoint_interval_min": 15.0}),
]


def renewal_row(label: str, kw: dict[str, Any], seeds: int = 20, days: float = 365.0
                ) -> dict[str, Any]:
    """Simulated ETTR (mean of ``seeds`` runs) vs the exact renewal-theory value."""
    base = 1000 * (1 + [c[0] for c in RENEWAL_CASES].index(label))
    runs = [gw.ops.simulate(days=days, seed=base + s, planned_per_day=0.0, spare_nodes=10**6,
                            **kw) for s in range(seeds)]
    r = runs[0]
    m = load_failure_model()
    rate = (kw.get("failure_rate", m.per_1000_node_days) / 1000.0) * math.ceil(kw["gpus"] / 8)
    c = r.checkpoint
    exact = renewal_ettr(rate / 1440.0, c["interval_min"], c["blocking_write_min"],
                         c["detect_min"] + c["restart_min"])
    e = np.array([x.ettr for x in runs])
    se = float(e.std(ddof=1) / math.sqrt(seeds))
    return {"case": label, "exact": exact, "simulated": float(e.mean()), "se": se,
            "z": (float(e.mean()) - exact) / se if se > 0 else 0.0,
            "ok": abs(float(e.mean()) - exact) <= 3 * se + 1e-4}


def _gpu_failures_per_week(gpus: int, accelerator: str) -> float:
    m = load_failure_model()
    gpu_causes = {c.id for c in m.causes if c.category == "GPU"}
    r = gw.ops.simulate(gpus, 364, seed=0, accelerator=accelerator)
    return sum(n for c, n in r.interruptions["by_cause"].items() if c in gpu_causes) / 52.0


def _inmemory_at_restart_85() -> tuple[float, int]:
    """In-memory ETTR at the job size where storage restart gives 85% (log-interpolated)."""
    sizes = [16384 * 2 ** (k / 2) for k in range(0, 7)]
    ettr = [gw.ops.simulate(int(g), 90, seed=0).ettr for g in sizes]
    for (g0, e0), (g1, e1) in zip(zip(sizes, ettr), zip(sizes[1:], ettr[1:])):
        if e0 >= 0.85 >= e1:
            x = (e0 - 0.85) / (e0 - e1)
            g = int(round(math.exp(math.log(g0) + x * (math.log(g1) - math.log(g0))) / 8) * 8)
            return gw.ops.simulate(g, 90, seed=0, recovery="in-memory").ettr, g
    raise RuntimeError("restart ETTR never crosses 0.85 in the size grid")


def other_rows() -> list[dict[str, Any]]:
    """Generalisation to fleets the model was not calibrated on (hit or miss)."""
    rows = []
    for f in load()["other_fleets"]:
        if f["figure"] == "gpu_failures_per_week":
            model = _gpu_failures_per_week(f["gpus"], f["accelerator"])
            note = "GPU-class failures per week"
        elif f["figure"] == "interruptions":
            r = gw.ops.simulate(f["gpus"], f["days"], seed=0, accelerator=f["accelerator"])
            model, note = r.interruptions["total"], f"interruptions in {f['days']} days"
        elif f["figure"] == "ettr":
            r = gw.ops.simulate(f["gpus"], f["days"], seed=0, accelerator=f["accelerator"])
            rm = gw.ops.simulate(f["gpus"], f["days"], seed=0, accelerator=f["accelerator"],
                                 recovery="in-memory")
            model, note = r.ettr, f"ETTR, storage restart (in-memory: {rm.ettr:.3f})"
        else:
            model, size = _inmemory_at_restart_85()
            note = f"in-memory ETTR at {size:,} GPUs, where storage restart gives 0.85"
        lo, hi = f["published_low"], f["published_high"]
        tol = 0.01 if f["figure"] in ("ettr", "inmemory_goodput_at_restart_85") else 0.0
        hit = (model >= lo - tol) and (hi is None or model <= hi + tol)
        rows.append({"id": f["id"], "figure": note, "published": (lo, hi), "model": model,
                     "hit": hit, "source": f["source"]})
    return rows


def _fmt_pub(lo: float, hi: float | None) -> str:
    if hi is None:
        return f">= {lo:g}"
    return f"{lo:g}" if lo == hi else f"{lo:g}-{hi:g}"


def markdown() -> str:
    """The "## Operations" section."""
    pub = load()
    one, many = llama3(0), llama3_seeds()
    out = ["## Operations", "",
           "`gigawatt simulate` with default parameters (restart from storage, detection 2 min,"
           " restart 8 min, Daly interval, 0.4 GB/GPU checkpoints at 0.122 GB/s/GPU, auto spares),"
           " no per-case tuning. The default failure rates are the Llama 3 counts over the "
           "snapshot's node-days, so the Llama 3 rows check the sampling and the job model, "
           "not an independent prediction; the other fleets are.", "",
           f"### Llama 3 405B, 16,384 H100, 54 days ({pub['llama3']['source']})", "",
           "The Poisson 95% interval is a confidence interval for the snapshot's expected "
           "count, so the model's expected count (the mean over "
           f"{many['n']} seeds) is what must fall inside it; a single run is one draw around it.",
           "", "| figure | published | model | within |",
           "| --- | --- | --- | --- |",
           f"| unexpected interruptions, expected (mean of {many['n']} seeds) | 419 (Poisson 95%: "
           f"{one['lo']}..{one['hi']}) | {many['mean_unexpected']:.1f} | "
           f"{'yes' if many['mean_ok'] else 'MISS'} |",
           f"| unexpected interruptions, one run (seed 0) | 419 ({one['lo']}..{one['hi']}) | "
           f"{one['unexpected']} | {'yes' if one['count_ok'] else 'no (one draw)'} |",
           f"| planned interruptions | 47 | {one['planned']} | (rate calibrated) |",
           f"| ETTR (seed 0) | > 0.90 | {one['ettr']:.3f} | "
           f"{'yes' if one['ettr_ok'] else 'MISS'} |"]
    for s in one["shares"]:
        ok = abs(s["model_pct"] - s["published_pct"]) <= pub["llama3"]["share_tolerance_pp"]
        out.append(f"| share (seed 0): {s['cause']} | {s['published_pct']:.1f}% | "
                   f"{s['model_pct']:.1f}% "
                   f"| {'yes' if ok else 'MISS'} (5 points) |")
    swing = one["result"].max_power_swing_mw
    out += [f"| power swing when the job stalls | tens of MW | {swing:.1f} MW facility | "
            f"{'yes' if swing >= 10 else 'MISS'} (order of magnitude) |", "",
            f"Over {many['n']} seeds: mean {many['mean_unexpected']:.1f} unexpected "
            f"interruptions; {many['in_interval']:.0%} of runs inside the 95% interval; "
            f"{many['shares_ok']:.0%} with all five shares within 5 points; ETTR "
            f"{many['ettr_mean']:.3f} (min {many['ettr_min']:.3f}, max {many['ettr_max']:.3f}), "
            f"{many['ettr_above']:.0%} of runs above 0.90.", "",
            f"### Daly's optimum checkpoint interval ({pub['daly']['source']})", "",
            "| M (min) | published (min) | model (min) | within 0.5 min |",
            "| --- | --- | --- | --- |"]
    out += [f"| {r['mtbi_min']:g} | {r['published_min']:g} | {r['model_min']:.2f} | "
            f"{'yes' if r['ok'] else 'MISS'} |" for r in daly_rows()]
    out += ["", "### Single job: simulated ETTR vs exact renewal theory", "",
            "ETTR = rate tau exp(-rate D) / (exp(rate (tau + delta)) - 1); 20 seeds x 365 "
            "days per case (case k uses seeds 1000k..1000k+19), no planned stops, unlimited "
            "spares.", "",
            "| case | exact | simulated (mean) | std. error | z | within 3 SE |",
            "| --- | --- | --- | --- | --- | --- |"]
    out += [f"| {r['case']} | {r['exact']:.4f} | {r['simulated']:.4f} | {r['se']:.4f} | "
            f"{r['z']:+.2f} | {'yes' if r['ok'] else 'MISS'} |"
            for r in (renewal_row(lbl, kw) for lbl, kw in RENEWAL_CASES)]
    out += ["", "### Other fleets (not used for calibration)", "",
            "| fleet | figure | published | model | hit |", "| --- | --- | --- | --- | --- |"]
    for r in other_rows():
        model = f"{r['model']:.3f}" if r["model"] < 2 else f"{r['model']:.1f}"
        out.append(f"| {r['id']} | {r['figure']} | {_fmt_pub(*r['published'])} | {model} | "
                   f"{'yes' if r['hit'] else 'MISS'} |")
    out += ["", "Sources: " + "; ".join(f"{r['id']}: {r['source']}" for r in other_rows()), ""]
    return "\n".join(out)


if __name__ == "__main__":
    print(markdown())
