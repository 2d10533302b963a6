"""Speed of loading and validating the built-in catalog (every CLI command pays it once).

Run: python benchmarks/bench_catalog.py   (best of N wall-clock times, seconds)
"""

from __future__ import annotations

import subprocess
import sys
import time

from gigawatt.catalog.loader import DATA_DIR, load_catalog_from


def best_of(fn, repeat: int) -> float:
    """Fastest of ``repeat`` wall-clock runs of ``fn``, seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    paths = sorted(DATA_DIR.glob("*.yaml"))
    cat = load_catalog_from(paths)
    rows = sum(len(t) for t in cat.tables.values())
    facts = sum(len(r.provenance) for t in cat.tables.values() for r in t.values())
    load_s = best_of(lambda: load_catalog_from(paths), 5)
    cli = [sys.executable, "-c", "from gigawatt.cli import main; "
           "main(['catalog', 'list', 'accelerators', '--json'])"]
    cli_s = best_of(lambda: subprocess.run(cli, check=True, capture_output=True), 3)
    print(f"catalog: {len(paths)} files, {rows} rows, {facts} sourced facts, "
          f"{len(cat.sources)} sources")
    print(f"load + validate + cross-reference (best of 5): {load_s * 1e3:.0f} ms")
    print(f"`gigawatt catalog list accelerators --json` process (best of 3): "
          f"{cli_s * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
