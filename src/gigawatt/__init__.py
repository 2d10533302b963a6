"""gigawatt: plan, simulate and stress-test gigawatt-scale AI supercomputers.

Layers (one direction): catalog + scenario -> perf -> plan -> ops -> risk -> report.
Heavy layers are imported lazily so that ``import gigawatt`` and the CLI start fast.
"""

from __future__ import annotations

import importlib
from typing import Any

from .catalog import Catalog, load_catalog
from .errors import GigawattError
from .scenario import Scenario, load_scenario

__version__ = "0.1.0"

_LAZY = {"perf", "plan", "ops", "risk", "report"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'gigawatt' has no attribute '{name}'")


__all__ = ["Catalog", "load_catalog", "Scenario", "load_scenario", "GigawattError",
           "__version__"]
