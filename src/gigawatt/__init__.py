"""gigawatt: plan, simulate and stress-test gigawatt-scale AI supercomputers.

Layers (one direction): catalog + scenario -> perf -> plan -> ops -> risk -> report.
Heavy layers are imported lazily so that ``import gigawatt`` and the CLI start fast.
"""

from __future__ import annotations

import importlib
from typing import Any

from .errors import GigawattError

__version__ = "0.1.0"

_LAZY = {"perf", "plan", "ops", "risk", "report", "app"}
#: names re-exported from submodules, imported on first use (the catalog's pydantic
#: schema alone costs ~0.2 s, which `gigawatt simulate` does not need before it runs)
_NAMES = {"Catalog": "catalog", "load_catalog": "catalog", "Scenario": "scenario",
          "load_scenario": "scenario"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _NAMES:
        return getattr(importlib.import_module(f"{__name__}.{_NAMES[name]}"), name)
    raise AttributeError(f"module 'gigawatt' has no attribute '{name}'")


__all__ = ["Catalog", "load_catalog", "Scenario", "load_scenario", "GigawattError",
           "__version__"]
