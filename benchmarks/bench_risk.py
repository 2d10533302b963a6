"""Speed of `gigawatt risk`: fixed-plan draws, re-solve draws, Ray scaling (1, 2 workers).

Usage: python benchmarks/bench_risk.py [--fixed-draws 10000] [--resolve-draws 100]
       [--ray-draws 24] [--skip-ray]

Prints one markdown table (the figures in benchmarks/README.md come from it). "wall s"
is the whole ``run_risk`` call: one executor run over the draws plus the tornado's 2k+1
one-at-a-time points (k uncertainties) = "evaluations", including the executor's
start-up (spawning the pool, starting Ray). The base plan solve is on its own line.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings

warnings.filterwarnings("ignore")


def _timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenario", default="stargate")
    ap.add_argument("--fixed-draws", type=int, default=10_000)
    ap.add_argument("--resolve-draws", type=int, default=100)
    ap.add_argument("--ray-draws", type=int, default=24, help="re-solve draws per Ray run")
    ap.add_argument("--skip-ray", action="store_true")
    args = ap.parse_args()

    import gigawatt as gw
    from gigawatt.risk import build_model, run_risk
    from gigawatt.risk.model import base_plan

    cat = gw.load_catalog()
    sc = gw.load_scenario(args.scenario)
    base, t_base = _timed(lambda: base_plan(sc, cat))
    fixed, _ = build_model(sc, cat, fixed_plan=True, base=base)
    resolve, _ = build_model(sc, cat, fixed_plan=False, base=base)
    rows = [("base plan solve (once per run)", 1, "-", t_base, 1)]

    def run(model, n, executor="local", workers=2, **kw):
        res, wall = _timed(lambda: run_risk(model, model.uncertainties, scenario=sc.id, draws=n,
                                            seed=0, executor=executor, workers=workers, **kw))
        return res, wall, int(res.timings_s["evaluations"])

    for w in (1, 2):
        _, *t = run(fixed, args.fixed_draws, workers=w)
        rows.append((f"fixed plan, local, {w} worker(s)", args.fixed_draws, w, *t))
    if args.resolve_draws:
        _, *t = run(resolve, args.resolve_draws, workers=2, chunk_size=1)
        rows.append(("re-solve, local, 2 workers", args.resolve_draws, 2, *t))
    if not args.skip_ray:
        ref = None
        for w in (1, 2):
            res, *t = run(resolve, args.ray_draws, executor="ray", workers=w, chunk_size=1)
            rows.append((f"re-solve, Ray (local instance started per run), {w} worker(s)",
                         args.ray_draws, w, *t))
            same = ref is None or res.outcomes.tobytes() == ref
            ref = res.outcomes.tobytes() if ref is None else ref
            if not same:
                raise SystemExit("Ray results differ between 1 and 2 workers")
        _, wall0 = _timed(_ray_startup)
        rows.append(("Ray local start + shutdown alone", 0, 2, wall0, 0))

    print(f"scenario {sc.id}, {len(sc.uncertainties)} uncertainties; machine: "
          f"{os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}")
    print("\n| run | draws | evaluations | workers | wall s | evaluations/s |\n"
          "| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, n, w, wall, evals in rows:
        rate = f"{evals / wall:,.2f}" if evals else "-"
        print(f"| {name} | {n:,} | {evals:,} | {w} | {wall:.2f} | {rate} |")


def _ray_startup() -> None:
    import ray

    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False,
             logging_level="ERROR")
    ray.shutdown()


if __name__ == "__main__":
    main()
