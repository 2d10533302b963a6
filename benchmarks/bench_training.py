"""Speed of the training model: plans evaluated per second (vectorised model alone and the
whole search), the full search for a 1T-parameter model on 3,072 GPUs, and the wall time
of the whole `gigawatt train` process. Prints a markdown table (benchmarks/README.md)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from gigawatt.catalog.schema import LLMArchitecture  # noqa: E402
from gigawatt.perf.llm import model_spec  # noqa: E402
from gigawatt.perf.plans import enumerate_plans  # noqa: E402
from gigawatt.perf.step import evaluate  # noqa: E402
from gigawatt.perf.training import _catalog, hardware, search_training  # noqa: E402

#: Megatron-LM SC21 Table 1's 1T model (M10)
GPT_1T = LLMArchitecture(layers=128, hidden=25600, heads=160, vocab=51200, seq_len=2048,
                         tied_embeddings=True)


def best_of(fn, repeat: int = 5) -> float:
    """Fastest of ``repeat`` runs, s (the machine is shared: the minimum is the signal)."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def model_throughput(n_target: int = 1_000_000) -> tuple[int, float]:
    """Plans per second of the vectorised model on ~``n_target`` plans."""
    spec = model_spec(GPT_1T)
    p, _, _ = enumerate_plans(spec, 3072, 8, {})
    reps = max(1, n_target // p["tp"].size)
    big = {k: np.tile(v, reps) for k, v in p.items()}
    hw = hardware("a100-80gb", _catalog(None), "bf16")
    t = best_of(lambda: evaluate(spec, hw, big), 3)
    return big["tp"].size, t


def main() -> None:
    n, t_eval = model_throughput()
    search_training(GPT_1T, "a100-80gb", 3072)           # warm caches
    res = search_training(GPT_1T, "a100-80gb", 3072)
    t_search = best_of(lambda: search_training(GPT_1T, "a100-80gb", 3072))
    big_n = 1048576
    search_training("llama-3.1-405b", "h100-sxm", big_n, seq_len=8192)
    res_big = search_training("llama-3.1-405b", "h100-sxm", big_n, seq_len=8192)
    t_big = best_of(lambda: search_training("llama-3.1-405b", "h100-sxm", big_n,
                                            seq_len=8192), 3)
    t_scaling = best_of(lambda: search_training("llama-3.1-405b", "h100-sxm", big_n,
                                                seq_len=8192, scaling=True), 1)
    cmd = [sys.executable, "-m", "gigawatt", "train", "--model", "gpt3-175b",
           "--accelerator", "h100-sxm", "--gpus", "3072", "--json"]
    t_cli = best_of(lambda: subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT), 3)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, numpy {np.__version__}")
    print()
    print("| measurement | value |")
    print("| --- | ---: |")
    print(f"| vectorised model: {n:,} plans (1T GPT, 3,072 A100) | {t_eval * 1e3:.0f} ms = "
          f"{n / t_eval / 1e6:.2f} M plans/s |")
    print(f"| full search, 1T GPT on 3,072 A100: {res.considered:,} combinations, "
          f"{res.evaluated:,} evaluated, {res.valid:,} fit | {t_search * 1e3:.0f} ms = "
          f"{res.evaluated / t_search / 1e6:.2f} M evaluated plans/s |")
    print(f"| full search, Llama 3.1 405B on 1,048,576 H100 (seq 8,192): "
          f"{res_big.evaluated:,} evaluated, {res_big.valid:,} fit | {t_big * 1e3:.0f} ms = "
          f"{res_big.evaluated / t_big / 1e6:.2f} M evaluated plans/s |")
    print(f"| the same with `max_useful_gpus` (searches at N x 2^k) | {t_scaling:.2f} s |")
    print(f"| `gigawatt train --model gpt3-175b --accelerator h100-sxm --gpus 3072 --json` "
          f"(whole process) | {t_cli:.2f} s |")


if __name__ == "__main__":
    main()
