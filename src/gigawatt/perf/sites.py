"""Training one job across sites (or halls) joined by a wide-area link: what crossing the
link costs per step, for arrays of plans.

The job's accelerators are split evenly over ``sites`` sites; each site reaches the others
over ``wan_tbps`` Tbit/s (its share of the inter-site link, one direction) with a one-way
latency of ``wan_latency_ms``. Two layouts of a synchronous step:

* ``dp``: data parallelism across the link, reduced hierarchically: inside each site as
  on one fabric, then the sites all-reduce the gradients (BF16) in a ring over the WAN,
  ``2 (S-1)/S`` of the model's gradient bytes through each site's link plus ``2 (S-1)``
  latencies, overlapped with the last micro-batch's backward;
* ``pp``: pipeline stages split across sites; at each of the ``S - 1`` boundaries every
  micro-batch's activations go forward and their gradients back (``2 x`` global batch x
  sequence x hidden x 2 bytes per step), the link latency adds to the pipeline fill and
  drain (``2 (S-1)`` one-way latencies), and what the link cannot carry under the step's
  compute is exposed.

``auto`` takes, plan by plan, the cheaper layout the plan's divisibility allows. The
optional low-communication mode ``diloco`` synchronises across sites only every ``H``
steps (DiLoCo: Douillard et al., "DiLoCo: Distributed Low-Communication Training of
Language Models", arXiv 2311.08105: 8 workers with H = 500 inner steps matched fully
synchronous training on C4 while communicating 500x less). That convergence result is an
*assumption* here: the model keeps the token count of synchronous training, it does not
check that the run converges; never the default.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ValidationError

MODES = ("auto", "dp", "pp", "diloco")
#: bytes per gradient / activation element on the WAN (BF16)
WAN_BYTES = 2.0
DILOCO_SOURCE = ("DiLoCo (Douillard et al., arXiv 2311.08105): 8 workers, H = 500 inner "
                 "steps matched synchronous training on C4; assumed, not modelled: the token "
                 "count is that of synchronous training")


@dataclass(frozen=True)
class SiteLink:
    """Sites joined by a WAN (units in names)."""

    sites: int
    wan_tbps: float
    wan_latency_ms: float
    mode: str = "auto"
    outer_steps: int = 500

    def __post_init__(self) -> None:
        checks = [("sites", self.sites, 1, 1024), ("wan_tbps", self.wan_tbps, 1e-6, 1e6),
                  ("wan_latency_ms", self.wan_latency_ms, 0.0, 1e4),
                  ("outer_steps", self.outer_steps, 1, 1e7)]
        for name, v, lo, hi in checks:
            if not (isinstance(v, (int, float)) and not isinstance(v, bool)
                    and lo <= v <= hi and v == v):
                raise ValidationError(f"{name} = {v!r} is out of range; allowed: {lo:g} to "
                                      f"{hi:g}", field=name)
        if self.mode not in MODES:
            raise ValidationError(f"wan mode '{self.mode}' is not allowed; allowed: "
                                  f"{', '.join(MODES)}", field="wan_mode")

    @property
    def bytes_per_s(self) -> float:
        return self.wan_tbps * 1e12 / 8.0

    def to_dict(self) -> dict[str, Any]:
        d = {"sites": self.sites, "wan_tbps": self.wan_tbps,
             "wan_latency_ms": self.wan_latency_ms, "mode": self.mode}
        if self.mode == "diloco":
            d.update(outer_steps=self.outer_steps, convergence_assumption=DILOCO_SOURCE)
        return d


def wan_s(link: SiteLink, spec: Any, p: dict, bwd_mb, busy) -> tuple[np.ndarray, np.ndarray]:
    """Exposed WAN time per step (s) and the layout used (0 dp, 1 pp; inf where the plan
    cannot be split over the sites), for arrays of plans; ``busy`` is the step's compute
    time the pipeline traffic can hide under."""
    S = link.sites
    shape = np.shape(p["tp"])
    if S <= 1:
        return np.zeros(shape), np.zeros(shape, dtype=int)
    lat = link.wan_latency_ms * 1e-3
    grads = spec.params() * WAN_BYTES
    ring = 2 * (S - 1) / S * grads / link.bytes_per_s + 2 * (S - 1) * lat
    if link.mode == "diloco":           # outer all-reduce of the pseudo-gradients every H
        dp_t = np.full(shape, ring / link.outer_steps)
    else:
        dp_t = np.maximum(ring - bwd_mb, 0.0)
    dp_t = np.where(p["dp"] % S == 0, dp_t, np.inf)
    acts = 2 * p["gb"] * spec.seq_len * spec.hidden * WAN_BYTES
    pp_t = 2 * (S - 1) * lat + np.maximum(acts / link.bytes_per_s - busy, 0.0)
    pp_t = np.where(p["pp"] % S == 0, pp_t, np.inf)
    if link.mode in ("dp", "diloco"):
        return dp_t, np.zeros(shape, dtype=int)
    if link.mode == "pp":
        return pp_t, np.ones(shape, dtype=int)
    use_pp = pp_t < dp_t
    return np.where(use_pp, pp_t, dp_t), use_pp.astype(int)
