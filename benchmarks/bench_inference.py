"""Speed of the inference model: plan search, frontier points per second, fleet sizing.

Run: ``python benchmarks/bench_inference.py`` (``make bench`` runs every bench_*.py).
Prints one line per case: best-of-N wall time, and the evaluated operating points per
second where meaningful. Figures go to benchmarks/README.md.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))


def best_of(fn, repeat: int = 5) -> float:
    """Best wall time of ``repeat`` calls, s."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    import numpy as np

    import gigawatt as gw
    from gigawatt.perf import inference_core as core
    from gigawatt.perf import max_throughput, size_serving
    from gigawatt.perf.inference_eff import serving_stack
    from gigawatt.perf.inference_shapes import model_shape

    cat = gw.load_catalog()
    shape = model_shape(cat.model("llama-3.1-8b"))
    acc, stack = cat.accelerator("h100-sxm"), serving_stack()
    mem = core.plan_memory(shape, acc, 1, 1, "fp8", core.Lengths.fixed(128, 128), stack)
    batch = np.arange(1, 1_000_001, dtype=float)
    t = best_of(lambda: core.decode_step_s(shape, acc, 1, 1, "fp8", 192.0, batch, stack, mem))
    print(f"decode-step model, 10^6 batch points: {t * 1e3:.1f} ms "
          f"({batch.size / t:,.0f} operating points/s)")

    def search():
        return max_throughput("llama-3.1-8b", "h100-sxm", prompt_tokens=128, output_tokens=128,
                              catalog=cat)
    est = search()
    t = best_of(search)
    print(f"max_throughput llama-3.1-8b on h100-sxm 128/128 (tp searched, batches 1..{est.max_batch}"
          f" per plan): {t * 1e3:.1f} ms")

    def search_moe():
        return max_throughput("deepseek-v3", "gb200", prompt_tokens=1000, output_tokens=8000,
                              ep=None, catalog=cat)
    t = best_of(search_moe)
    print(f"max_throughput deepseek-v3 on gb200 (tp x ep searched): {t * 1e3:.1f} ms")

    demands = list(cat.table("demands"))
    t = best_of(lambda: [size_serving(d, catalog=cat) for d in demands], repeat=3)
    print(f"size_serving, {len(demands)} demands x {len(cat.accelerators)} accelerators "
          f"(with SLOs): {t * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
