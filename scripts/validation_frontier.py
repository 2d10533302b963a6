"""The largest training run vs published limits: prints the markdown section
"## Frontier runs" of docs/validation.md, from the same code that
tests/validation/test_frontier.py runs.

Cases (tests/validation/data/frontier.yaml):

* Erdil & Schneider-Joseph (arXiv 2411.01137): for 90-day runs on H100-class hardware
  utilisation falls markedly past ~1e28 FLOP and runs beyond ~1e31 FLOP are infeasible.
  Their model has no hardware failures, so ours is run with failures off (and, for
  information, with the default failure model and restart from storage).
* Epoch AI, "Can AI scaling continue through 2030?": a 1-5 GW campus supports roughly
  1e28-3e29 FLOP by 2030. Ours: the campus filled with the catalog's GB300 at its
  facility power per accelerator, 120-day runs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import gigawatt as gw  # noqa: E402
from gigawatt.deploy import size_deployment  # noqa: E402
from gigawatt.ops.frontier import frontier  # noqa: E402

DATA = ROOT / "tests" / "validation" / "data" / "frontier.yaml"
#: unlimited accelerators for the Erdil comparison (their runs are not capped by a fleet)
UNCAPPED = 2 ** 30


def load() -> dict[str, Any]:
    return yaml.safe_load(DATA.read_text(encoding="utf-8"))


def falloff_flop(result: Any, fraction: float = 0.8) -> float | None:
    """The smallest training compute whose utilisation is below ``fraction`` of the best
    utilisation of the sweep's feasible runs."""
    feas = [p for p in result.sweep if p.feasible]
    if not feas:
        return None
    peak = max(p.utilisation for p in feas)
    for p in feas:
        if p.utilisation < fraction * peak and p.training_flop > feas[0].training_flop:
            return p.training_flop
    return None


def erdil(failure_scale: float | None = None) -> dict[str, Any]:
    case = load()["erdil2024"]
    fs = case["failure_scale"] if failure_scale is None else failure_scale
    r = frontier(case["accelerator"], case["days"], max_gpus=UNCAPPED,
                 failure_multiplier=fs, sweep=True)
    return {"case": case, "result": r, "falloff_flop": falloff_flop(r),
            "max_flop": r.max_training_flop,
            "binding": r.next_infeasible.binding if r.next_infeasible else None}


def campus_accelerators(accelerator: str, gw_: float) -> int:
    """Accelerators a campus of ``gw_`` GW facility power holds (catalog power, PUE)."""
    d = size_deployment(gw.load_catalog(), accelerator, 100_000)
    return int(gw_ * 1e3 / (d.facility_power_mw / 100_000))


def epoch() -> list[dict[str, Any]]:
    case = load()["epoch2024"]
    rows = []
    for g in case["campus_gw"]:
        n = campus_accelerators(case["accelerator"], g)
        r = frontier(case["accelerator"], case["days"], max_gpus=n)
        rows.append({"gw": g, "accelerators": n, "result": r, "max_flop": r.max_training_flop,
                     "binding": r.next_infeasible.binding if r.next_infeasible else None,
                     "in_range": (r.max_training_flop is not None and
                                  case["flop_range"][0] <= r.max_training_flop
                                  <= case["flop_range"][1])})
    return rows


def _e(x: float | None) -> str:
    return "–" if x is None else f"{x:.2g}"


def main() -> None:
    data = load()
    off, on = erdil(), erdil(failure_scale=1.0)
    lines = ["## Frontier runs", "",
             "`gigawatt frontier` against published limits to training-run size "
             "(`scripts/validation_frontier.py`, `tests/validation/test_frontier.py`). "
             "Shape, not tuning: nothing below is fitted.", "",
             f"**Erdil & Schneider-Joseph** ({data['erdil2024']['source']}): 90-day runs on "
             "H100, accelerators uncapped.", "",
             "| | utilisation starts to fall (< 80% of best) | largest run that finishes | "
             "binding past it |", "| --- | ---: | ---: | --- |",
             f"| published (no failures) | ~1e28 | ~1e31 | data movement / latency |",
             f"| gigawatt, failures off | {_e(off['falloff_flop'])} | {_e(off['max_flop'])} | "
             f"{off['binding']} |",
             f"| gigawatt, default failures, restart from storage | {_e(on['falloff_flop'])} | "
             f"{_e(on['max_flop'])} | {on['binding']} |", "",
             "Utilisation (MFU x ETTR) by training compute, failures off:", "",
             "| FLOP | accelerators | MFU | ETTR | utilisation | wall days |",
             "| ---: | ---: | ---: | ---: | ---: | ---: |"]
    for p in off["result"].sweep:
        lines.append(f"| {p.training_flop:.2g} | {p.gpus or '–':,} | "
                     f"{_e(p.mfu) if p.mfu is None else f'{p.mfu:.3f}'} | "
                     f"{'–' if p.ettr is None else f'{p.ettr:.3f}'} | "
                     f"{'–' if p.utilisation is None else f'{p.utilisation:.3f}'} | "
                     f"{'–' if p.wall_days is None else f'{p.wall_days:.0f}'}"
                     f"{'' if p.feasible else ' (does not finish)'} |"
                     if p.gpus else f"| {p.training_flop:.2g} | – | – | – | – | no plan |")
    lines += ["", f"**Epoch AI** ({data['epoch2024']['source']}); ours: the campus filled "
              "with GB300 at the catalog's facility power per accelerator, BF16, 120 days, "
              "restart from storage.", "",
              "| campus | accelerators | largest run, FLOP | published range | binding | |",
              "| ---: | ---: | ---: | ---: | --- | --- |"]
    lo, hi = data["epoch2024"]["flop_range"]
    for row in epoch():
        lines.append(f"| {row['gw']:g} GW | {row['accelerators']:,} | {_e(row['max_flop'])} | "
                     f"{lo:.0e}-{hi:.0e} | {row['binding']} | "
                     f"{'hit' if row['in_range'] else 'miss'} |")
    lines += ["", "Why the figures differ:", "",
              "* Infeasibility comes ~2-3 decades earlier than Erdil & Schneider-Joseph's "
              "1e31 because our global batch is capped by the DeepSeek LLM critical-batch "
              "law (their baseline lets the batch grow further), pipeline stages must divide "
              "the layers and tensor parallelism stays within the scale-up domain; their "
              "paper itself notes that more aggressive batch scaling or fatter shapes move "
              "the limit up. That part is a miss, reported as such.",
              "* With failures on, one synchronous job of 10^5-10^6 accelerators loses most "
              "of its time to restarts from storage at Llama 3's failure rate, so failures, "
              "not data movement, bind first; neither paper models them.",
              "* Epoch's 2030 figures assume (per a summary of the report's public talk, "
              "kb.iter.ca/journals/2024-10-17) ~4x more energy-efficient hardware by 2030, "
              "FP8 instead of 16-bit training (2x) and ~3x longer runs; ours uses today's "
              "catalog GB300 in BF16 and 120 days, and one synchronous job with restarts "
              "from storage, so the 5 GW campus adds nothing over 1 GW: failures bind.",
              "* Epoch AI's own summary of the Erdil paper puts the data-movement limit at "
              "~2e28 FLOP and the latency wall at ~2e31; our failure-free frontier "
              "(1.4e28, bound by the batch ceiling) is close to the former and far below "
              "the latter.",
              ""]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
