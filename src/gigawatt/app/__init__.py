"""The what-if workbench (``gigawatt app``): a local web page where a planner moves the
levers of a scenario (budgets, prices, supply, site power, HBM, failure rate, objective)
and sees the plan, its charts, binding limits and a few risk draws update, saves
variants as scenario YAML and compares them side by side.

:mod:`.levers` (lever setting -> scenario), :mod:`.workbench` (the answers, no I/O),
:mod:`.server` (the standard library's HTTP server and the page).
"""

from __future__ import annotations

from ..lazy import lazy_getattr

__getattr__ = lazy_getattr(__name__, {"Workbench": "workbench", "apply_levers": "levers",
                                      "lever_space": "levers", "make_server": "server",
                                      "App": "server"})

__all__ = ["Workbench", "apply_levers", "lever_space", "make_server", "App"]
